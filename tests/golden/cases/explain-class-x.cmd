$MV explain X.7.1
