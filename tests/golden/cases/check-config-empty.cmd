$MV check-config -c configs/empty.conf
