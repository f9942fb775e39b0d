$MV -x
