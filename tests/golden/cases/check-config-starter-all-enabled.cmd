# The installed starter with every commented-out rule enabled, as an admin uncommenting them would: all load, strict.
t=$(mktemp -d) && sed -e 's/^    # ,{/    ,{/' -e 's/^    #    /       /' ../../config/starter.conf > "$t/milter-verdict.conf" && $MV check-config --strict -c "$t/milter-verdict.conf" | sed "s|$t/||"; rm -rf "$t"
