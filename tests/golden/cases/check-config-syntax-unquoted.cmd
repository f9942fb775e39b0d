$MV check-config -c configs/habits/syntax-unquoted.conf
