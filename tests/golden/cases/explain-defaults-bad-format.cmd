$MV explain --defaults --format nonsense
