$MV check-config -c configs/warnings.conf
