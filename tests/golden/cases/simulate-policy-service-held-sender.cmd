$MV simulate -c configs/policy-service.conf --policy-service --client 203.0.113.5 --helo mx.spam.example --from offers@mail.spam.example --rcpt bob@example.org --rcpt carol@example.org
