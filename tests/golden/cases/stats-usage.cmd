$MV stats --bogus
