# config/examples/submission-sasl.conf as shipped; rules exercised: 1 needs-tls, 2 needs-auth, 3 devices-internal-only, 4 sender-outside-domain, 5 tag-submission (continue, header).
$MV simulate -c ../../config/examples/submission-sasl.conf --file configs/examples/submission-sasl.txt
