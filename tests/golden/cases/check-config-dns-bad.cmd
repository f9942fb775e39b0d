$MV check-config -c configs/dns-bad.conf
