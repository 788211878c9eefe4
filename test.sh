#!/usr/bin/env bash
# Runs every Fleet test: unit, integration (real coordinator on Kestrel, real agents, fleetctl) and
# process tests. Run as root, it first installs what the tests need (tests/install-deps.sh).
# Prints one closing line: "Total: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "$(id -u)" = 0 ]; then
  ./tests/install-deps.sh
fi
command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }

results=artifacts/test-results
rm -rf "$results"
dotnet build Fleet.sln -c Release -nologo -v quiet
# The linux-arm64 agent that the emulated end-to-end test runs under qemu-aarch64, built as the
# package ships it (Native AOT, cross-compiled; cached with packaging/build.sh's publishes): no JIT to
# translate under emulation, so it starts in about half a second where the JIT build took 14 s.
arm64_agent=$(packaging/publish.sh agent arm64)
mkdir -p .cache/publish
rm -rf .cache/publish/linux-arm64
ln -s "$arm64_agent" .cache/publish/linux-arm64
# The portable (framework-dependent) agent as its armhf package ships it: published once
# (packaging/publish.sh agent portable, cached and shared with packaging/build.sh), packaged by
# mkdeb.sh, then unpacked (data and maintainer scripts) into .cache/publish/portable-armhf, which
# PortableAgentTests run on this machine's dotnet and, with the linux-arm64 runtime that
# make-dotnet-root.sh assembles (cached in .cache/dotnet-arm64), under qemu-aarch64.
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
portable_agent=$(packaging/publish.sh agent portable)
rm -rf .cache/publish/portable-armhf .cache/packaging/portable-deb
mkdir -p .cache/packaging/portable-deb
packaging/debian/mkdeb.sh agent-portable armhf "$version" "$portable_agent" .cache/packaging/portable-deb
portable_deb=.cache/packaging/portable-deb/fleet-agent_${version}_armhf.deb
dpkg-deb -x "$portable_deb" .cache/publish/portable-armhf
dpkg-deb -e "$portable_deb" .cache/publish/portable-armhf/DEBIAN
tests/fixtures/make-dotnet-root.sh arm64
status=0
dotnet test Fleet.sln -c Release --no-build -nologo --results-directory "$results" --logger "trx" --logger "console;verbosity=minimal" || status=$?

# Sum the counters of every test assembly's TRX file.
read -r passed failed skipped total < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*' | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/"/, "", kv[2]); c[kv[1]] += kv[2] } }
    END { printf "%d %d %d %d\n", c["passed"], c["failed"], c["notExecuted"], c["total"] }')
echo "Total: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$total" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
