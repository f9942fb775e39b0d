$MV explain --help
