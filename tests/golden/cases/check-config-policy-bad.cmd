$MV check-config -c configs/policy-bad.conf
