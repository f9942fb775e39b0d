$MV simulate -c configs/order-ruled-out.conf --client 192.0.2.1 --from a@bad.example --rcpt y@example.org
