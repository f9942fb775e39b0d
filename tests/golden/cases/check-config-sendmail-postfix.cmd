$MV check-config -c configs/sendmail-warnings.conf
