$MV check-config --strict -c ../../config/examples/monitor-rollout.conf
