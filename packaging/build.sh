#!/usr/bin/env bash
# Publishes Fleet for every architecture and packages it as .debs.
#
#   packaging/build.sh [--version X.Y.Z] [--only agent|coordinator] [--arch amd64,arm64,armhf] [--out DIR]
#
# - fleet-agent: Native AOT for linux-x64 and linux-arm64 (arm64 cross-compiled with clang/lld);
#   self-contained single file for linux-arm (armhf) when that runtime pack restores. When it does
#   not, the script says so and makes the portable armhf package instead: the framework-dependent
#   agent (publish.sh agent portable), run by the board's .NET 10 runtime (README.Debian in it).
# - fleet-coordinator: self-contained for linux-x64 and linux-arm64 (/usr/lib/fleet-coordinator);
#   fleetctl: Native AOT for both, one file (/usr/bin/fleetctl), in the same package.
# - The version is VersionPrefix in Directory.Build.props (one source); --version overrides it for
#   this build only (packaging/test-packages.sh builds an upgrade that way).
# Publishes are cached under .cache/packaging/, keyed by a hash of the sources, the version and the
# RID. Packages go to artifacts/packages/ (or --out). Run packaging/install-deps.sh first (as root).
set -euo pipefail
shopt -s inherit_errexit
trap 'echo "build.sh: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
repo=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
only=all
arches=amd64,arm64,armhf
out=artifacts/packages
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --arch) arches=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build.sh: version \"$version\" is not X.Y.Z (VersionPrefix in Directory.Build.props, or --version)" >&2; exit 2; }
case "$only" in all|agent|coordinator) ;; *) echo "build.sh: --only takes agent or coordinator, not $only" >&2; exit 2 ;; esac
mkdir -p "$out" .cache/packaging
out=$(cd "$out" && pwd)

# publish NAME ARCH: the cached per-RID publish (packaging/publish.sh); prints its folder.
publish() { packaging/publish.sh "$1" "$2" --version "$version"; }

built=()
missing=()
IFS=, read -r -a arch_list <<<"$arches"
for arch in "${arch_list[@]}"; do
  case "$arch" in amd64|arm64|armhf) ;; *) echo "build.sh: unknown architecture $arch (amd64, arm64, armhf)" >&2; exit 2 ;; esac
  if [ "$only" != coordinator ]; then
    code=0
    dir=$(publish agent "$arch" 2>"$repo/.cache/packaging/publish.err") || code=$?
    cat "$repo/.cache/packaging/publish.err" >&2
    if [ "$code" != 0 ]; then
      log=$(tail -n 1 "$repo/.cache/packaging/publish.err")
      if [ "$arch" = armhf ] && [ "$code" = 3 ] && grep -q 'NU1101.*Microsoft.NETCore.App.Runtime.linux-arm' "$log"; then
        echo "build.sh: NOT BUILT: the self-contained fleet-agent for linux-arm (armhf): the runtime pack Microsoft.NETCore.App.Runtime.linux-arm does not restore from this machine's NuGet feed (NU1101 above); the armhf package is the portable build instead (framework-dependent: it needs the .NET 10 runtime on the board)" >&2
        missing+=("fleet-agent armhf self-contained (the portable one instead)")
        rm -f "$log"
        portable=$(publish agent portable)
        packaging/debian/mkdeb.sh agent-portable armhf "$version" "$portable" "$out"
        built+=("fleet-agent armhf (portable)")
        continue
      fi
      echo "build.sh: the publish of fleet-agent for $arch failed (above)" >&2
      exit 1
    fi
    packaging/debian/mkdeb.sh agent "$arch" "$version" "$dir" "$out"
    built+=("fleet-agent $arch")
  fi
  if [ "$only" != agent ] && [ "$arch" != armhf ]; then
    dir=$(publish coordinator "$arch")
    # fleetctl ships in the coordinator's package.
    ctl=$(publish fleetctl "$arch")
    packaging/debian/mkdeb.sh coordinator "$arch" "$version" "$dir" "$out" "$ctl"
    built+=("fleet-coordinator $arch")
  fi
done

echo "build.sh: version $version; built: ${built[*]:-nothing}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build.sh: not built here: ${missing[*]}"
fi
ls -l "$out"/*_"$version"_*.deb 2>/dev/null | awk '{ printf "  %10d  %s\n", $5, $NF }'
