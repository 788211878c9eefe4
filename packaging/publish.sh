#!/usr/bin/env bash
# Publishes one Fleet program for one architecture, the way the packages ship it, and prints the
# folder that holds it.
#
#   packaging/publish.sh agent|coordinator|fleetctl ARCH [--version X.Y.Z]
#
# ARCH is amd64, arm64 or armhf, or `portable` (fleet-agent only). fleet-agent is Native AOT for amd64
# and arm64 (arm64 cross-compiled with clang/lld: packaging/install-deps.sh installs them),
# self-contained single file for armhf; `portable` is fleet-agent framework-dependent: IL only, no
# apphost and no RID (fleet-agent.dll, run by `dotnet` with a .NET 10 runtime of any architecture),
# what the portable armhf package ships;
# fleetctl is Native AOT for amd64 and arm64 too; fleet-coordinator is self-contained. Publishes are
# cached under .cache/packaging/, keyed by a hash of the sources, the publish flags, the version and
# the SDK, so packaging/build.sh and ./test.sh (the arm64 agent that the emulated test runs under
# qemu) share one build.
# Exit 3 with the publish log's path on the last line of stderr when the publish fails.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
repo=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() { echo "usage: packaging/publish.sh agent|coordinator|fleetctl amd64|arm64|armhf|portable [--version X.Y.Z]" >&2; exit 2; }
[ $# -ge 2 ] || usage
name=$1 arch=$2
shift 2
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "publish.sh: version \"$version\" is not X.Y.Z" >&2; exit 2; }
case "$arch" in
  amd64) rid=linux-x64 ;;
  arm64) rid=linux-arm64 ;;
  armhf) rid=linux-arm ;;
  portable) rid=portable ;;
  *) echo "publish.sh: unknown architecture $arch (amd64, arm64, armhf, portable)" >&2; exit 2 ;;
esac

# What to publish and how; the sources the build depends on make part of the cache key.
# Native AOT for linux-arm64 is cross-compiled with clang/lld; the linker finds the target's zlib.
aot_arm64=()
case "$name:$arch" in
  agent:arm64|fleetctl:arm64) aot_arm64=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy
    -p:CustomAfterMicrosoftCommonTargets="$repo/packaging/aot-target-libs.targets" -p:FleetTargetLibDir="$(packaging/target-libs.sh arm64)") ;;
esac
case "$name:$arch" in
  # Linked against the system's zlib (Depends: zlib1g), not zlib-ng built into the binary.
  agent:amd64) sources=(agent protos common) args=(agent -p:PublishAot=true -p:UseSystemZlib=true) ;;
  agent:arm64) sources=(agent protos common) args=(agent -p:PublishAot=true -p:UseSystemZlib=true "${aot_arm64[@]}") ;;
  # Native AOT does not target 32-bit ARM; self-contained, trimmed, one file. Its runtime pack
  # (Microsoft.NETCore.App.Runtime.linux-arm) must restore from the configured NuGet feed.
  agent:armhf) sources=(agent protos common) args=(agent --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true) ;;
  # Framework-dependent IL for any architecture: no -r (so no RID-specific native code, no apphost),
  # only English messages of System.CommandLine (as the trimmed builds).
  agent:portable) sources=(agent protos common) args=(agent --self-contained false -p:UseAppHost=false -p:SatelliteResourceLanguages=en) ;;
  coordinator:amd64|coordinator:arm64) sources=(coordinator protos common) args=(coordinator/Fleet.Coordinator --self-contained) ;;
  # fleetctl is Native AOT too (started for every command: no JIT start-up), on the system's zlib.
  fleetctl:amd64|fleetctl:arm64) sources=(coordinator protos common) args=(coordinator/Fleet.Ctl -p:PublishAot=true -p:UseSystemZlib=true "${aot_arm64[@]}") ;;
  *) echo "publish.sh: $name is not built for $arch" >&2; exit 2 ;;
esac

source_hash=$({ git ls-files -z -- "${sources[@]}" Directory.Build.props Directory.Packages.props global.json | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
hash=$(echo "$source_hash ${args[*]//$repo/} $(dotnet --version)" | sha256sum | cut -c1-16)
mkdir -p .cache/packaging
dir=$repo/.cache/packaging/$name-$rid-$version-$hash
if [ -f "$dir/.complete" ]; then
  echo "publish.sh: $name $rid $version: cached ($dir)" >&2
else
  echo "publish.sh: publishing $name for $rid ($version)" >&2
  rm -rf "$dir" "$dir.tmp" "$dir.build"
  started=$SECONDS
  rid_args=(-r "$rid")
  # No RID means the build would share bin/ and obj/ with the solution's build (and, without an apphost,
  # remove fleet-agent from agent/bin/Release/net10.0): the portable build has folders of its own.
  [ "$rid" = portable ] && rid_args=(--artifacts-path "$dir.build")
  if ! dotnet publish "${args[@]}" -c Release "${rid_args[@]}" -p:VersionPrefix="$version" -nologo -v quiet -o "$dir.tmp" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    rm -rf "$dir.tmp" "$dir.build"
    echo "$dir.log" >&2
    exit 3
  fi
  rm -rf "$dir.log" "$dir.build"
  find "$dir.tmp" \( -name '*.pdb' -o -name '*.dbg' \) -delete
  touch "$dir.tmp/.complete"
  # Keep one build per component, RID and version: older sources are of no more use.
  find .cache/packaging -maxdepth 1 -name "$name-$rid-$version-*" ! -name "$name-$rid-$version-$hash*" -exec rm -rf {} +
  mv "$dir.tmp" "$dir"
  echo "publish.sh: $name $rid published in $((SECONDS - started)) s" >&2
fi
echo "$dir"
