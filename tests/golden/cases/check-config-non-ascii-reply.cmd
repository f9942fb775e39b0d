$MV check-config -c configs/habits/non-ascii-reply.conf
