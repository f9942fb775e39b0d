$MV -t -c configs/empty.conf
