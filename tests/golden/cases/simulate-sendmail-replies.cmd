$MV simulate --mta sendmail -c ../e2e/configs/replies.conf --file configs/sendmail-replies.txt
