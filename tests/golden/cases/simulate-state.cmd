$MV simulate -c configs/state.conf --file configs/transactions-state.txt
