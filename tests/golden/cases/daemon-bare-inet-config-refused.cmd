$MV -t -c configs/daemon-bare-inet.conf
