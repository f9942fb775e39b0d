a=$($MV help simulate) && b=$($MV simulate --help) && c=$($MV simulate --nonsense 2>&1 >/dev/null); s=$?; [ "$a" = "$b" ] && [ "$c" = "milter-verdict simulate: unknown option '--nonsense'
$b" ] && echo "help simulate = simulate --help = the usage error's text after its first line, exit $s"
