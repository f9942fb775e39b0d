$MV simulate -c configs/order-accept.conf --file configs/transactions-order-accept.txt
