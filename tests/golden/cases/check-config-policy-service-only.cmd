$MV check-config -c configs/policy-only.conf
