$MV simulate -c ../../config/milter-verdict.conf --client 203.0.113.5 --client-name mx.spam.example --helo mx.spam.example --from offers@mail.spam.example --rcpt bob@example.org
