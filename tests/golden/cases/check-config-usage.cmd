$MV check-config --frobnicate
