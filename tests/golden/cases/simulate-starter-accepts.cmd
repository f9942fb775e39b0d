# The installed starter changes no delivery: mail the demo refuses (no reverse DNS, bare-IP HELO, blocked sender) passes, no header is added.
$MV simulate -c ../../config/starter.conf --client 198.51.100.20 --helo "[198.51.100.20]" --from spammer@spam.example --rcpt user@example.org
