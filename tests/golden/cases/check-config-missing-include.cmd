$MV check-config -c configs/missing-include.conf
