$MV simulate --mta sendmail -c ../e2e/configs/sendmail-immediate.conf --file configs/sendmail-immediate.txt
