$MV simulate -c configs/monitor.conf --client 203.0.113.5 --helo mx.spam.example --from offers@spam.example --rcpt bob@example.org --header "Subject: offer"
