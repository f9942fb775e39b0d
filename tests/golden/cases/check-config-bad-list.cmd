$MV check-config -c configs/bad-list.conf
