$MV simulate -c ../../config/milter-verdict.conf --file configs/bad-transactions.txt
