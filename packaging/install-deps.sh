#!/usr/bin/env bash
# Installs, as root, the Debian packages that packaging/build.sh and packaging/test-packages.sh use.
# Idempotent: a package already present is not downloaded again.
#   packaging/install-deps.sh [--aot]   --aot: only what packaging/publish.sh needs for the Native AOT
#                                       agent (tests/install-deps.sh: the emulated arm64 test runs it)
set -euo pipefail
aot=(
  clang lld                       # Native AOT: compiler driver and linker
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross  # AOT cross-compile for linux-arm64
  zlib1g-dev                      # the Native AOT agent links the system zlib (UseSystemZlib)
  dpkg-dev                        # dpkg-architecture (packaging/target-libs.sh)
)
packages=(
  "${aot[@]}"
  fakeroot                        # dpkg-deb as root-owned files
  zstd                            # the cached container root file system
  lintian                         # checks the .debs
  systemd                         # systemd-analyze verify on the units
  systemd-container debootstrap   # a Debian root booted with systemd as PID 1 (systemd-nspawn)
  util-linux                      # nsenter
  file                            # the ELF machine of each packaged binary
)
case "${1:-}" in
  --aot) packages=("${aot[@]}") ;;
  "") ;;
  *) echo "usage: packaging/install-deps.sh [--aot]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "packaging/install-deps: installing ${missing[*]}"
  apt-get update -qq || echo "packaging/install-deps: apt-get update reported errors (a mirror index may be mid-sync); trying the install anyway"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
