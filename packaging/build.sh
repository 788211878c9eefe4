#!/usr/bin/env bash
# Publishes Fleet for every architecture and packages it as .debs.
#
#   packaging/build.sh [--version X.Y.Z] [--only agent|coordinator] [--arch amd64,arm64,armhf] [--out DIR]
#
# - fleet-agent: Native AOT for linux-x64 and linux-arm64 (arm64 cross-compiled with clang/lld);
#   self-contained single file for linux-arm (armhf) when that runtime pack restores. When it does
#   not, the script says so and goes on: no armhf package is made.
# - fleet-coordinator and fleetctl: self-contained for linux-x64 and linux-arm64, in one folder
#   (/usr/lib/fleet-coordinator) that shares the runtime.
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
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build.sh: version \"$version\" is not X.Y.Z (VersionPrefix in Directory.Build.props, or --version)" >&2; exit 2; }
case "$only" in all|agent|coordinator) ;; *) echo "build.sh: --only takes agent or coordinator, not $only" >&2; exit 2 ;; esac
mkdir -p "$out" .cache/packaging
out=$(cd "$out" && pwd)

rid_of() { case "$1" in amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; armhf) echo linux-arm ;; *) echo "build.sh: unknown architecture $1 (amd64, arm64, armhf)" >&2; exit 2 ;; esac; }

# A hash of the sources a publish depends on: the given folders and the build settings.
source_hash() {
  { git ls-files -z -- "$@" Directory.Build.props Directory.Packages.props global.json | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16
}

# publish NAME RID HASH ARGS...: runs `dotnet publish ARGS -o DIR` unless DIR is cached; prints DIR.
publish() {
  local name=$1 rid=$2 hash; shift 2
  hash=$(echo "$1 ${*//$repo/} $(dotnet --version)" | sha256sum | cut -c1-16) # the sources, the publish flags, the SDK
  shift
  local dir=$repo/.cache/packaging/$name-$rid-$version-$hash
  if [ -f "$dir/.complete" ]; then
    echo "build.sh: $name $rid $version: cached ($dir)" >&2
  else
    echo "build.sh: publishing $name for $rid ($version)" >&2
    rm -rf "$dir" "$dir.tmp"
    local started=$SECONDS
    if ! dotnet publish "$@" -c Release -r "$rid" -p:VersionPrefix="$version" -nologo -v quiet -o "$dir.tmp" 2>&1 | tee "$dir.log" >&2; then
      rm -rf "$dir.tmp"
      return 1
    fi
    rm -f "$dir.log"
    find "$dir.tmp" \( -name '*.pdb' -o -name '*.dbg' \) -delete
    touch "$dir.tmp/.complete"
    # Keep one build per component, RID and version: older sources are of no more use.
    find .cache/packaging -maxdepth 1 -name "$name-$rid-$version-*" ! -name "$name-$rid-$version-$hash*" -exec rm -rf {} +
    mv "$dir.tmp" "$dir"
    echo "build.sh: $name $rid published in $((SECONDS - started)) s" >&2
  fi
  echo "$dir"
}

agent_hash=$(source_hash agent protos)
coordinator_hash=$(source_hash coordinator protos)
built=()
missing=()
IFS=, read -r -a arch_list <<<"$arches"
for arch in "${arch_list[@]}"; do
  rid=$(rid_of "$arch")
  if [ "$only" != coordinator ]; then
    case "$arch" in
      # Linked against the system's zlib (Depends: zlib1g), not zlib-ng built into the binary.
      amd64) dir=$(publish agent "$rid" "$agent_hash" agent -p:PublishAot=true -p:UseSystemZlib=true) ;;
      arm64) dir=$(publish agent "$rid" "$agent_hash" agent -p:PublishAot=true -p:UseSystemZlib=true \
                 -p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy \
                 -p:CustomAfterMicrosoftCommonTargets="$repo/packaging/aot-target-libs.targets" \
                 -p:FleetTargetLibDir="$(packaging/target-libs.sh arm64)") ;;
      armhf)
        # Native AOT does not target 32-bit ARM; self-contained, trimmed, one file. Its runtime pack
        # (Microsoft.NETCore.App.Runtime.linux-arm) must restore from the configured NuGet feed.
        if ! dir=$(publish agent "$rid" "$agent_hash" agent --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true); then
          log=$(ls -t .cache/packaging/agent-"$rid"-"$version"-*.log | head -1)
          if grep -q 'NU1101.*Microsoft.NETCore.App.Runtime.linux-arm' "$log"; then
            echo "build.sh: NOT BUILT: fleet-agent for linux-arm (armhf): the runtime pack Microsoft.NETCore.App.Runtime.linux-arm does not restore from this machine's NuGet feed (NU1101 above); no armhf package is made, the other architectures go on" >&2
            missing+=("fleet-agent armhf")
            rm -f "$log"
            continue
          fi
          echo "build.sh: the linux-arm publish of fleet-agent failed (above, and $log)" >&2
          exit 1
        fi ;;
    esac
    packaging/debian/mkdeb.sh agent "$arch" "$version" "$dir" "$out"
    built+=("fleet-agent $arch")
  fi
  if [ "$only" != agent ] && [ "$arch" != armhf ]; then
    hash=$coordinator_hash
    dir=$(publish coordinator "$rid" "$hash" coordinator/Fleet.Coordinator --self-contained)
    # fleetctl goes into the same folder: one runtime for both.
    ctl=$(publish fleetctl "$rid" "$hash" coordinator/Fleet.Ctl --self-contained)
    packaging/debian/mkdeb.sh coordinator "$arch" "$version" "$dir" "$out" "$ctl"
    built+=("fleet-coordinator $arch")
  fi
done

echo "build.sh: version $version; built: ${built[*]:-nothing}"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build.sh: not built here: ${missing[*]}"
fi
ls -l "$out"/*_"$version"_*.deb 2>/dev/null | awk '{ printf "  %10d  %s\n", $5, $NF }'
