$MV check-config -c configs/missing-list.conf
