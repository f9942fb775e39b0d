$MV -t -c configs/bad-list.conf
