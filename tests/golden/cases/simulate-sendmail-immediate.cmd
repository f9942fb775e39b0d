$MV simulate --mta sendmail -c ../sendmail/configs/immediate.conf --file configs/sendmail-immediate.txt
