$MV check-config -c configs/idn.conf
