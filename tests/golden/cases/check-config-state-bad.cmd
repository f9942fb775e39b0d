$MV check-config -c configs/state-bad.conf
