$MV simulate -c configs/order-monitor.conf --file configs/transactions-order-monitor.txt
