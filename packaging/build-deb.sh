#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-deb.sh OUTDIR - build the binary .deb of the current tree (`make deb`).
#
# Copies the working tree (tracked and untracked-but-not-ignored files, so
# uncommitted edits are packaged too; never build/) to OUTDIR/milter-verdict-V,
# adds packaging/debian as debian/ (links followed), runs dpkg-buildpackage -b there, then
# lintian on the result. Leaves OUTDIR/*.deb, *.changes, *.buildinfo and
# OUTDIR/lintian.txt. Fails when the build fails or lintian reports an error
# or a warning (overrides, each with its reason, are in debian/).
# Environment: DEB_BUILD_OPTIONS (e.g. nocheck to skip the unit tests).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
deb_version=$(sed -n '1s/^milter-verdict (\([^)]*\)).*/\1/p' "$top/packaging/debian/changelog")
if [ "${deb_version%%-*}" != "$version" ]; then
    echo "build-deb.sh: Makefile VERSION $version but debian/changelog says $deb_version:" \
         "add a changelog entry (dch -v $version)" >&2
    exit 1
fi

src="$out/milter-verdict-$version"
rm -rf "$src" "$out"/milter-verdict_* "$out"/milter-verdict-dbgsym_*
mkdir -p "$src"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and untracked files that exist (a deleted file is not copied).
    git ls-files -z -co --exclude-standard | tar --null -T - -cf - --ignore-failed-read \
        --exclude='./build' 2>/dev/null | tar -xf - -C "$src"
else
    tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$src"
fi
rm -rf "$src/build" "$src/debian"
# -L: debian/milter-verdict.{service,sysusers,tmpfiles} link to
# packaging/systemd/; the copy holds the files themselves.
cp -rL packaging/debian "$src/debian"

cd "$src"
DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -b -us -uc
cd "$out"
changes=$(ls milter-verdict_"$version"*_*.changes)
echo "== lintian $changes"
# --fail-on: errors and warnings fail the build; pedantic/info are shown only.
if lintian --fail-on error,warning --info "$changes" >lintian.txt 2>&1; then
    cat lintian.txt
    echo "lintian: no errors, no warnings"
else
    cat lintian.txt
    echo "build-deb.sh: lintian found errors or warnings (above)" >&2
    exit 1
fi
ls -l "$out"/*.deb
