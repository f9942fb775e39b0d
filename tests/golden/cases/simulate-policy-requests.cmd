$MV simulate -c configs/policy-service.conf --policy-service --requests configs/policy-requests.txt
