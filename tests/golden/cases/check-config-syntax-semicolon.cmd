$MV check-config -c configs/habits/syntax-semicolon.conf
