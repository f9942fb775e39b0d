$MV -t -c configs/daemon-minimal.conf -p inet:8890@0.0.0.0
