$MV explain
