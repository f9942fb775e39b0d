$MV simulate -c ../../config/milter-verdict.conf --non-smtp --from alice@example.org --rcpt j.doe@example.org --rcpt bob@example.org
