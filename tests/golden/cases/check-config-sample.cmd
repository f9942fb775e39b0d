$MV check-config --strict -c ../../config/milter-verdict.conf
