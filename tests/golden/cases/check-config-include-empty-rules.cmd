d=$(mktemp -d) && MV=$(realpath "$MV") && cp configs/include-hostile.conf "$d/main.conf" && cd "$d" && : > rules.inc && timeout 20 $MV check-config -c main.conf; s=$?; rm -rf "$d"; exit $s
