$MV check-config -c configs/habits/typos-every-level.conf
