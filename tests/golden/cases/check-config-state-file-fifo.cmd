# A state file that is not a regular file is a file:line error (never opened: a FIFO would block the reload that reads it).
d=$(mktemp -d) && MV=$(realpath "$MV") && sed "s|@DIR@|$d|" configs/state-file-fifo.conf.in > "$d/main.conf" && mkfifo "$d/state" && cd "$d" && timeout 20 $MV check-config -c main.conf > out 2>&1; s=$?; sed "s|$d|DIR|g" "$d/out"; rm -rf "$d"; exit $s
