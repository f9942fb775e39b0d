$MV stats -m 9809
