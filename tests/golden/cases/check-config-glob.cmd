$MV check-config -c configs/habits/glob.conf
