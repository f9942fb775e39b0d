$MV simulate -c configs/order-held.conf --policy-service --file configs/transactions-order-held.txt
