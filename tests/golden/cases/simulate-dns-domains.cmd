$MV simulate -c configs/dns.conf --file configs/transactions-dns.txt
