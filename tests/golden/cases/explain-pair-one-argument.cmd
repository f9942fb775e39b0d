$MV explain "451 4.7.1"
