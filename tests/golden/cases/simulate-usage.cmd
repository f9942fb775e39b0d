$MV simulate -c ../../config/milter-verdict.conf --client 192.0.2.1 --rcpt c@d
