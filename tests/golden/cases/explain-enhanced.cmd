$MV explain 5.7.1
