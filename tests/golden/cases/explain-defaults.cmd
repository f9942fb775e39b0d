$MV explain --defaults
