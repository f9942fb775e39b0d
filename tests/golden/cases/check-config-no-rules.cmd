$MV check-config -c configs/no-rules.conf
