# config/examples/mx-delay-reject.conf as shipped; rules exercised: 1 backup-mx, 2 dynamic-client, 3 no-reverse-dns, 4 blocked-sender, 5 spamtrap (discard).
$MV simulate -c ../../config/examples/mx-delay-reject.conf --file configs/examples/mx-delay-reject.txt
