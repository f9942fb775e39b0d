$MV check-config -c configs/include-absolute.conf
