$MV check-config --strict -c ../../config/examples/submission-sasl.conf
