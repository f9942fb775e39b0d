$MV check-config -c configs/habits/socket-group.conf
