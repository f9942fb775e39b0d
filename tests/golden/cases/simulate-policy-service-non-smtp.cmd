$MV simulate -c configs/policy-service.conf --policy-service --non-smtp --from a@b --rcpt c@d
