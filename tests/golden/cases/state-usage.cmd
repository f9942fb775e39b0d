$MV state list --bogus
