$MV simulate -c configs/order-immediate.conf --file configs/transactions-order-held.txt
