$MV simulate -c configs/order-data.conf --client 192.0.2.1 --from a@example.net --rcpt x@example.org --rcpt y@example.org --rcpt z@example.org
