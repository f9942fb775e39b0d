$MV check-config -c configs/habits/syntax-comma.conf
