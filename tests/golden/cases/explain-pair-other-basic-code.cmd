$MV explain 554 5.7.20
