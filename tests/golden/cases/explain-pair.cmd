$MV explain 550 5.7.1
