$MV check-config -c configs/metrics-bad.conf
