$MV simulate -c configs/order-immediate.conf --policy-service --file configs/transactions-order-held.txt
