$MV simulate -c ../../config/milter-verdict.conf --client 203.0.113.9 --helo "[203.0.113.9]" --from x@dyn.example --rcpt bob@example.org --rcpt carol@example.org
