$MV explain 550 4.7.1
