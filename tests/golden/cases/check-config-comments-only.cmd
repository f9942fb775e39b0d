$MV check-config -c configs/comments-only.conf
