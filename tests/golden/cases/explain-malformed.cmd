$MV explain 5.07.1
