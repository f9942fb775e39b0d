$MV check-config -c configs/bad.conf
