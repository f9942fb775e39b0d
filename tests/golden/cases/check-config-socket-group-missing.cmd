$MV check-config -c configs/habits/socket-group-missing.conf
