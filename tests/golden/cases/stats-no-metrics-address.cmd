$MV stats -c configs/daemon-minimal.conf
