#!/usr/bin/env bash
# Installs, as root, the Debian packages Fleet's tests use. Idempotent: a package already present
# is not downloaded again. The .NET SDK itself comes with the machine.
set -euo pipefail
packages=(
  procps    # ps: demo.sh and the benchmarks read the processes' RSS
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
