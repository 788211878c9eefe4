#!/usr/bin/env bash
# Measures the agent's footprint on this machine: binary size, time from process start to its first
# heartbeat at a coordinator on loopback (over mTLS, after `fleet-agent enroll`, which is not timed),
# RSS after an idle period and where it goes (/proc/PID/smaps by mapping), and CPU time per idle
# hour (measured from 5 s after the first heartbeat to the end of the idle period, extrapolated).
#   bench/agent-footprint.sh [--idle SECONDS] [--aot | --arm64 | --portable | --portable-arm64 | --binary PATH] [--env KEY=VALUE ...]
# --aot     publishes fleet-agent as Native AOT for linux-x64 (needs clang or gcc) and measures it;
# --arm64   measures the linux-arm64 Native AOT agent as its package ships it (packaging/publish.sh,
#           cached, as ./test.sh makes it) under qemu-aarch64 with the arm64 sysroot (.cache/sysroot):
#           EMULATED figures, the RSS is qemu's and the times are qemu's;
# --portable       the portable agent as its armhf .deb ships it (publish.sh agent portable, packaged
#                  by mkdeb.sh, unpacked), through its launcher on this machine's dotnet (JIT, x64);
# --portable-arm64 the same .dll on the linux-arm64 runtime of tests/fixtures/make-dotnet-root.sh
#                  under qemu-aarch64: EMULATED;
# --binary  measures an already published agent (e.g. an AOT build with other settings);
# --env     runs the agent with this environment variable (repeatable), e.g. DOTNET_GCgen0size=0x100000.
# Default: the framework-dependent Release build (JIT).
set -euo pipefail
cd "$(dirname "$0")/.."
idle=60 mode=jit binary="" envs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --idle) idle=$2; shift 2 ;;
    --aot) mode=aot; shift ;;
    --arm64) mode=arm64; shift ;;
    --portable) mode=portable; shift ;;
    --portable-arm64) mode=portable-arm64; shift ;;
    --binary) mode=binary binary=$(realpath "$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    *) echo "usage: $0 [--idle SECONDS] [--aot | --arm64 | --portable | --portable-arm64 | --binary PATH] [--env KEY=VALUE ...]" >&2; exit 2 ;;
  esac
done
[ "$idle" -ge 10 ] || { echo "agent-footprint.sh: --idle must be at least 10 seconds" >&2; exit 2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work=$(mktemp -d /tmp/fleet-bench-XXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build coordinator/Fleet.Coordinator -c Release -nologo -v quiet -clp:NoSummary
dotnet build coordinator/Fleet.Ctl -c Release -nologo -v quiet -clp:NoSummary
run=()
case "$mode" in
  aot)
    dotnet publish agent -c Release -r linux-x64 -p:PublishAot=true -o "$work/agent" -nologo -v quiet -clp:NoSummary
    agent=("$work/agent/fleet-agent") size_of=$work/agent/fleet-agent kind="Native AOT, linux-x64" ;;
  binary)
    [ -x "$binary" ] || { echo "agent-footprint.sh: $binary is not an executable" >&2; exit 2; }
    agent=("$binary") size_of=$binary kind="$binary" ;;
  arm64)
    command -v qemu-aarch64 >/dev/null || { echo "agent-footprint.sh: qemu-aarch64 is missing (tests/install-deps.sh as root)" >&2; exit 1; }
    [ -d .cache/sysroot ] || tests/fixtures/make-sysroot.sh
    arm64=$(packaging/publish.sh agent arm64)
    run=(qemu-aarch64 -L "$PWD/.cache/sysroot")
    agent=("${run[@]}" "$arm64/fleet-agent") kind="Native AOT linux-arm64 under qemu-aarch64 (EMULATED)"
    size_of=$arm64/fleet-agent ;;
  portable | portable-arm64)
    version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
    packaging/debian/mkdeb.sh agent-portable armhf "$version" "$(packaging/publish.sh agent portable)" "$work"
    dpkg-deb -x "$work/fleet-agent_${version}_armhf.deb" "$work/deb"
    size_of=$(du -sb "$work/deb/usr/lib/fleet-agent" | cut -f1)
    if [ "$mode" = portable ]; then
      agent=("$work/deb/usr/bin/fleet-agent") kind="portable (framework-dependent, the armhf .deb's) on this machine's dotnet, linux-x64"
    else
      command -v qemu-aarch64 >/dev/null || { echo "agent-footprint.sh: qemu-aarch64 is missing (tests/install-deps.sh as root)" >&2; exit 1; }
      [ -d .cache/sysroot ] || tests/fixtures/make-sysroot.sh
      tests/fixtures/make-dotnet-root.sh arm64 >&2
      agent=(qemu-aarch64 -L "$PWD/.cache/sysroot" "$PWD/.cache/dotnet-arm64/dotnet" "$work/deb/usr/lib/fleet-agent/fleet-agent.dll")
      kind="portable (the armhf .deb's fleet-agent.dll) on a linux-arm64 runtime under qemu-aarch64 (EMULATED)"
    fi ;;
  jit)
    dotnet build agent -c Release -nologo -v quiet -clp:NoSummary
    agent=("$PWD/agent/bin/Release/net10.0/fleet-agent") kind="framework-dependent Release (JIT), linux-x64"
    size_of=$(find agent/bin/Release/net10.0 -maxdepth 1 -name '*.dll' -o -maxdepth 1 -name 'fleet-agent' | xargs du -cb | tail -1 | cut -f1) ;;
esac

port=$(( 20000 + RANDOM % 10000 )) mport=$(( 30000 + RANDOM % 10000 ))
coordinator/Fleet.Coordinator/bin/Release/net10.0/fleet-coordinator --listen "127.0.0.1:$port" \
  --data-dir "$work/data" --socket "$work/control.sock" --metrics-listen "127.0.0.1:$mport" > "$work/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && break; sleep 0.1; done

mkdir -p "$work/root/etc"; ln -s /proc "$work/root/proc"; ln -s /sys "$work/root/sys"
fleetctl=coordinator/Fleet.Ctl/bin/Release/net10.0/fleetctl
"$fleetctl" --socket "$work/control.sock" token create --uses 1 > "$work/token.txt"
env "${envs[@]}" "${agent[@]}" enroll --coordinator "https://127.0.0.1:$port" --name bench-1 --root "$work/root" \
  --token - --ca-pin "$(awk '$1 == "ca-pin:" { print $2 }' "$work/token.txt")" <<<"$(awk '$1 == "token:" { print $2 }' "$work/token.txt")" > "$work/enroll.log" 2>&1
start=$(date +%s%N)
env "${envs[@]}" "${agent[@]}" --coordinator "https://127.0.0.1:$port" --name bench-1 --root "$work/root" > "$work/agent.log" 2>&1 &
apid=$!; pids+=($apid)
deadline=$(( $(date +%s) + 120 ))
until curl -sf "http://127.0.0.1:$mport/metrics" | grep -q '^fleet_heartbeats_received_total [1-9]'; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "agent-footprint.sh: no heartbeat within 120 s; the agent said:" >&2; cat "$work/agent.log" >&2; exit 1; }
  sleep 0.01
done
first=$(( ($(date +%s%N) - start) / 1000000 ))
ticks() { awk '{print $14 + $15}' "/proc/$apid/stat"; }

sleep 5
t0=$(date +%s%N) c0=$(ticks)
sleep "$(( idle - 5 ))"
t1=$(date +%s%N) c1=$(ticks)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")
hz=$(getconf CLK_TCK)
per_hour=$(awk -v c="$(( c1 - c0 ))" -v hz="$hz" -v ns="$(( t1 - t0 ))" 'BEGIN { printf "%.1f", c / hz * 3600 / (ns / 1e9) }')
if [ -f "${size_of:-}" ]; then size=$(stat -c %s "$size_of"); else size=$size_of; fi
echo "agent: $kind${envs[*]:+ with ${envs[*]}}; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  binary size:              $(( size / 1024 )) KiB"
echo "  start to first heartbeat: ${first} ms (polled every 10 ms)"
echo "  RSS after ${idle} s idle:     $(( rss / 1024 )) MiB ($rss KiB)"
echo "  CPU time so far:          $(( c1 * 1000 / hz )) ms"
echo "  CPU per idle hour:        ${per_hour} s (measured over $(( (t1 - t0) / 1000000000 )) s idle, extrapolated; $(( 1000 / hz )) ms ticks)"
echo "  RSS by mapping (KiB):"
awk -v exe="$(readlink "/proc/$apid/exe")" '
  /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : "[anonymous]"
    if (name == exe) name = "the executable"
    else if (name ~ /libcrypto|libssl/) name = "OpenSSL (libssl, libcrypto)"
    else if (name ~ /\.so/) name = "other shared libraries"
    else if (name ~ /^\[stack/) name = "[stack]"
    else if (name !~ /^\[/) name = "other files"
    next }
  /^Rss:/ { rss[name] += $2 }
  END { for (n in rss) if (rss[n] > 0) printf "    %7d  %s\n", rss[n], n }' "/proc/$apid/smaps" | sort -rn
