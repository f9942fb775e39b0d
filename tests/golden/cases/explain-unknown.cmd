$MV explain 5.7.99 557
