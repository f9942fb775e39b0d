$MV simulate -c configs/dns-rhsbl.conf --client 192.0.2.32 --client-name mx.ok.example --client-resolve OK --helo mx.ok.example --from alice@spam.example --rcpt bob@example.org
