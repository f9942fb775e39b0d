$MV check-config -c configs
