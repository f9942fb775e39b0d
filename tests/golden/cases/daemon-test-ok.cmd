$MV -t -c configs/daemon-minimal.conf
