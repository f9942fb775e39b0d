$MV check-config -c configs/habits/syntax-yes.conf
