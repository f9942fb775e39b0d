#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-rpm.sh OUTDIR - build the binary RPM of the current tree (`make rpm`).
#
# Makes OUTDIR/SOURCES/milter-verdict-V.tar.gz from the working tree (tracked
# and untracked-but-not-ignored files; never build/), then runs rpmbuild -bb
# on packaging/rpm/milter-verdict.spec with OUTDIR as its _topdir. On Debian
# the Fedora/RHEL BuildRequires cannot be resolved: --nodeps, and no debuginfo
# sub-package (Debian's rpm has no find-debuginfo). Leaves OUTDIR/RPMS/*/*.rpm.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-rpm.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
spec_version=$(sed -n 's/^Version: *//p' "$top/packaging/rpm/milter-verdict.spec")
if [ "$spec_version" != "$version" ]; then
    echo "build-rpm.sh: Makefile VERSION $version but the spec says $spec_version" >&2
    exit 1
fi

rm -rf "$out/BUILD" "$out/BUILDROOT" "$out/RPMS" "$out/SOURCES" "$out/SRPMS"
stage="$out/SOURCES/milter-verdict-$version"
mkdir -p "$stage"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard | tar --null -T - -cf - --ignore-failed-read \
        2>/dev/null | tar -xf - -C "$stage"
else
    tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$stage"
fi
rm -rf "$stage/build"
tar -C "$out/SOURCES" -czf "$out/SOURCES/milter-verdict-$version.tar.gz" "milter-verdict-$version"
rm -rf "$stage"

set -- --define "_topdir $out" --define "_smp_mflags -j2"
if [ -e /etc/debian_version ]; then
    set -- "$@" --nodeps --define "debug_package %{nil}"
fi
rpmbuild -bb "$@" packaging/rpm/milter-verdict.spec
ls -l "$out"/RPMS/*/*.rpm
