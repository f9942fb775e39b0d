$MV check-config --strict -c ../../config/examples/small-office.conf
