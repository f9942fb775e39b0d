$MV -t -c configs/policy-only.conf
