#!/usr/bin/env bash
# Measures the agent's footprint on this machine: binary size, time from process start to its first
# heartbeat at a coordinator on loopback (over mTLS, after `fleet-agent enroll`, which is not timed),
# and RSS after an idle period. Prints the figures.
#   bench/agent-footprint.sh [--idle SECONDS] [--aot]
# --aot publishes fleet-agent as Native AOT for linux-x64 (needs clang or gcc); the default measures
# the framework-dependent Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
idle=60 aot=0
while [ $# -gt 0 ]; do
  case "$1" in
    --idle) idle=$2; shift 2 ;;
    --aot) aot=1; shift ;;
    *) echo "usage: $0 [--idle SECONDS] [--aot]" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work=$(mktemp -d /tmp/fleet-bench-XXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build coordinator/Fleet.Coordinator -c Release -nologo -v quiet -clp:NoSummary
dotnet build coordinator/Fleet.Ctl -c Release -nologo -v quiet -clp:NoSummary
if [ "$aot" = 1 ]; then
  dotnet publish agent -c Release -r linux-x64 -p:PublishAot=true -o "$work/agent" -nologo -v quiet -clp:NoSummary
  agent=("$work/agent/fleet-agent") size_of=$work/agent/fleet-agent kind="Native AOT, linux-x64"
else
  dotnet build agent -c Release -nologo -v quiet -clp:NoSummary
  agent=("$PWD/agent/bin/Release/net10.0/fleet-agent") kind="framework-dependent Release (JIT), linux-x64"
  size_of=$(find agent/bin/Release/net10.0 -maxdepth 1 -name '*.dll' -o -maxdepth 1 -name 'fleet-agent' | xargs du -cb | tail -1 | cut -f1)
fi

port=$(( 20000 + RANDOM % 10000 )) mport=$(( 30000 + RANDOM % 10000 ))
coordinator/Fleet.Coordinator/bin/Release/net10.0/fleet-coordinator --listen "127.0.0.1:$port" \
  --data-dir "$work/data" --socket "$work/control.sock" --metrics-listen "127.0.0.1:$mport" > "$work/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mport/metrics" >/dev/null && break; sleep 0.1; done

mkdir -p "$work/root/etc"; ln -s /proc "$work/root/proc"; ln -s /sys "$work/root/sys"
fleetctl=coordinator/Fleet.Ctl/bin/Release/net10.0/fleetctl
"$fleetctl" --socket "$work/control.sock" token create --uses 1 > "$work/token.txt"
"${agent[@]}" enroll --coordinator "https://127.0.0.1:$port" --name bench-1 --root "$work/root" \
  --token "$(awk '$1 == "token:" { print $2 }' "$work/token.txt")" --ca-pin "$(awk '$1 == "ca-pin:" { print $2 }' "$work/token.txt")" > "$work/enroll.log" 2>&1
start=$(date +%s%N)
"${agent[@]}" --coordinator "https://127.0.0.1:$port" --name bench-1 --root "$work/root" > "$work/agent.log" 2>&1 &
apid=$!; pids+=($apid)
until curl -sf "http://127.0.0.1:$mport/metrics" | grep -q '^fleet_heartbeats_received_total [1-9]'; do sleep 0.01; done
first=$(( ($(date +%s%N) - start) / 1000000 ))

sleep "$idle"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")
cpu_ticks=$(awk '{print $14 + $15}' "/proc/$apid/stat")
if [ -f "${size_of:-}" ]; then size=$(stat -c %s "$size_of"); else size=$size_of; fi
echo "agent: $kind"
echo "  binary size:              $(( size / 1024 )) KiB"
echo "  start to first heartbeat: ${first} ms (polled every 10 ms)"
echo "  RSS after ${idle} s idle:     $(( rss / 1024 )) MiB ($rss KiB)"
echo "  CPU time so far:          $(( cpu_ticks * 1000 / $(getconf CLK_TCK) )) ms"
