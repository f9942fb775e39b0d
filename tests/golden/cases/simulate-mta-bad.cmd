$MV simulate --mta exim -c ../e2e/configs/replies.conf --client 192.0.2.1 --from a@b --rcpt c@d
