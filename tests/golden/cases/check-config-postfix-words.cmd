$MV check-config -c configs/habits/postfix-words.conf
