$MV check-config --strict -c ../../config/examples/mx-greylisting-redis.conf
