#!/usr/bin/env bash
# target-libs.sh ARCH: prints a folder holding the ARCH build of the system libraries the Native AOT
# agent links against besides libc (zlib: Debian wants the system's zlib, not zlib-ng built in).
# Debian's zlib1g:ARCH is fetched with `apt-get download` (tests/fixtures/lib-debs.sh, cached in
# .cache/debs) and unpacked, without installing anything multiarch. Used by packaging/build.sh.
set -euo pipefail
PROG=target-libs
# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/../tests/fixtures/lib-debs.sh"
arch=${1:?usage: target-libs.sh ARCH}
triplet=$(dpkg-architecture -a "$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
out=$FIXTURES_REPO/.cache/packaging/target-libs-$arch
lock_cache
fetch_debs "zlib1g:$arch"
want=$(basename "${DEB[zlib1g:$arch]}")
if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$out" && mkdir -p "$out"
  dpkg -x "${DEB[zlib1g:$arch]}" "$out/root"
  lib=$out/root/lib/$triplet
  [ -e "$lib/libz.so.1" ] || lib=$out/root/usr/lib/$triplet
  [ -e "$lib/libz.so.1" ] || die "no libz.so.1 in ${DEB[zlib1g:$arch]}"
  mkdir -p "$out/lib" && cp -L "$lib/libz.so.1" "$out/lib/" && ln -s libz.so.1 "$out/lib/libz.so"
  echo "$want" >"$out/.stamp"
fi
echo "$out/lib"
