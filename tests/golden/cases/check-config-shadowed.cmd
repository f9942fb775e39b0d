$MV check-config -c configs/habits/shadowed.conf
