$MV check-config -c configs/metrics-hostname.conf
