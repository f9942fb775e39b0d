$MV simulate -c configs/no-delay.conf --client 203.0.113.9 --helo localhost --from x@dyn.example --rcpt bob@example.org
