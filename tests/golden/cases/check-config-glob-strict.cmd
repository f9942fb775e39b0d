$MV check-config --strict -c configs/habits/glob.conf
