$MV check-config --strict -c ../../config/examples/mx-dns.conf
