d=$(mktemp -d) && MV=$(realpath "$MV") && cp configs/include-hostile.conf "$d/main.conf" && cd "$d" && mkdir rules.inc && timeout 20 $MV -t -c main.conf; s=$?; rm -rf "$d"; exit $s
