$MV explain 550
