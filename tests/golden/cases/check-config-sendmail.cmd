$MV check-config --mta sendmail -c configs/sendmail-warnings.conf
