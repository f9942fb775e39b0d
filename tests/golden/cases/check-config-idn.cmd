out=$($MV check-config -c configs/idn.conf 2>&1); s=$?; printf '%s\n' "$out" | sed 's/in [0-9.]* s$/in N s/'; exit $s
