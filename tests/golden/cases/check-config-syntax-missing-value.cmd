$MV check-config -c configs/habits/syntax-missing-value.conf
