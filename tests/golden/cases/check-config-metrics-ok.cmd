$MV check-config -c configs/metrics-ok.conf
