$MV check-config --strict -c ../../config/examples/mx-delay-reject.conf
