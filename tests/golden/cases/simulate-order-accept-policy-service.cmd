$MV simulate -c configs/order-accept.conf --policy-service --file configs/transactions-order-accept.txt
