$MV check-config -c configs/idn-bad.conf
