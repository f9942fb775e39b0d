# config/examples/mx-greylisting-redis.conf as shipped (memory store in place of Redis); rules exercised: transaction 1 our-networks, 2 sasl-rate (31st recipient, 450 4.7.1) and authenticated (recipients 1-30), 3 greylist, 4-24 network-rate (the 21st message in a minute).
$MV simulate -c ../../config/examples/mx-greylisting-redis.conf --file configs/examples/mx-greylisting-redis.txt
