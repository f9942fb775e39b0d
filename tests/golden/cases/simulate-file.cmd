$MV simulate -c ../../config/milter-verdict.conf --file configs/transactions.txt
