$MV check-config -c configs/habits/shadowed-later-stage.conf
