$MV simulate -c configs/dns-rhsbl.conf --file configs/transactions-rhsbl.txt
