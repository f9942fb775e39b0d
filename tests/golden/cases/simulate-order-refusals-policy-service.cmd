$MV simulate -c configs/order-refusals.conf --policy-service --file configs/transactions-order-refusals.txt
