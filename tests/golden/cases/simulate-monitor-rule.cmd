$MV simulate -c ../../config/milter-verdict.conf --client 203.0.113.5 --client-name lists.example --helo lists.example --from bounce-4711@lists.example --rcpt bob@example.org
