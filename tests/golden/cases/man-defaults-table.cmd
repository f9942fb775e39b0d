sh ./check-man-defaults.sh ../../man/milter-verdict.conf.5
