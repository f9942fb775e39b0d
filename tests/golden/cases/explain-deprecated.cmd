$MV explain 5.6.10
