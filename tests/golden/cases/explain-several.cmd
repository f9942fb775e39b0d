$MV explain 421 hello 5.3.4
