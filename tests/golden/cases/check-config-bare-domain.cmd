$MV check-config -c configs/habits/bare-domain.conf
