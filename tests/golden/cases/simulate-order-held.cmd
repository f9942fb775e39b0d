$MV simulate -c configs/order-held.conf --file configs/transactions-order-held.txt
