$MV simulate -c configs/idn.conf --client 192.0.2.7 --helo mx.bücher.example --from a@bücher.example --rcpt ok@example.org
