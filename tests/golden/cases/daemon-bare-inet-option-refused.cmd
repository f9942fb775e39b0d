$MV -t -c configs/daemon-minimal.conf -p inet:8890
