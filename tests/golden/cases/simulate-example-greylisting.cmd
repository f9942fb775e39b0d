$MV simulate -c ../../config/examples/mx-greylisting-redis.conf --client 203.0.113.5 --helo mx.sender.example --from news@sender.example --rcpt a@example.org --rcpt b@example.org
