$MV simulate -c configs/order-dns.conf --file configs/transactions-order-dns.txt
