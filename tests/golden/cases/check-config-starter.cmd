$MV check-config --strict -c ../../config/starter.conf
