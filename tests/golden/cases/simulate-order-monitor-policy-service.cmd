$MV simulate -c configs/order-monitor.conf --policy-service --file configs/transactions-order-monitor.txt
