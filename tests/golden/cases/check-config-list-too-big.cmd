# A list file larger than 256 MiB is refused at its line before it is read (a sparse 300 MiB file).
d=$(mktemp -d) && MV=$(realpath "$MV") && cp configs/list-too-big.conf "$d/main.conf" && truncate -s 300M "$d/big.txt" && cd "$d" && timeout 20 $MV check-config -c main.conf; s=$?; rm -rf "$d"; exit $s
