$MV simulate -c configs/order-refusals.conf --file configs/transactions-order-refusals.txt
