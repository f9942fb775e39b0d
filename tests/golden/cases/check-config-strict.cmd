$MV check-config --strict -c configs/warnings.conf
