$MV simulate -c configs/idn.conf --file configs/idn-transactions.txt
