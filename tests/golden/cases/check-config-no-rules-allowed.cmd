$MV check-config --strict -c configs/no-rules-allowed.conf
