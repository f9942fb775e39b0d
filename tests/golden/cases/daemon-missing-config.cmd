$MV -t -c configs/does-not-exist.conf
