$MV -t -c configs
