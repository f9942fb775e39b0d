$MV check-config -c configs/habits/syntax-missing-semicolon.conf
