d=$(mktemp -d) && MV=$(realpath "$MV") && cp configs/include-hostile.conf "$d/main.conf" && cd "$d" && mkfifo fifo.conf && timeout 20 $MV check-config -c fifo.conf; s=$?; rm -rf "$d"; exit $s
