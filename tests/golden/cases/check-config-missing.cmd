$MV check-config -c configs/does-not-exist.conf
