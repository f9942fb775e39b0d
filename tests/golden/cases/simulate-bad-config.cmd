$MV simulate -c configs/bad.conf --client 192.0.2.1 --from a@b --rcpt c@d
