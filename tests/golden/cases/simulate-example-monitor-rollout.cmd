# config/examples/monitor-rollout.conf as shipped (policy.monitor); rules exercised (would-be): 1 internal, 2 numeric-helo, 3 freemail-to-billing, 4 exe-senders.
$MV simulate -c ../../config/examples/monitor-rollout.conf --file configs/examples/monitor-rollout.txt
