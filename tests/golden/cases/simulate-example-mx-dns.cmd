# config/examples/mx-dns.conf as shipped, offline answers; rules exercised: transaction 1 backup-mx, 2 dnswl, 3 postmaster and dnsbl (the refusal waits for the earlier postmaster accept), 4 rhsbl, 5 reverse-dns, 6 sender-null-mx, 7 sender-domain, 8 recipient-null-mx.
$MV simulate -c ../../config/examples/mx-dns.conf --file configs/examples/mx-dns.txt
