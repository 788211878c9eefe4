#!/usr/bin/env bash
# Runs Fleet's benchmarks and prints their figures (BENCHMARKS.md explains them). Nothing is asserted.
#   bench/run.sh            the full set: load at 1,000, 5,000 and 10,000 simulated agents, the rollout
#                           benchmark, the time cordoned with and without prefetch, `fleetctl nodes list` on 100 nodes (JIT and Native AOT), the
#                           agent's footprint (JIT, Native AOT x64, arm64 under qemu)
#   bench/run.sh --quick    a smoke run for CI: 200 agents with short windows, a 20-node rollout; no
#                           footprint. It checks that everything completes and prints figures, no more.
# Every wait is bounded (--bound). The simulated agents each hold a TCP connection of their own, so the
# file-descriptor limit is raised for this script's processes only (ulimit), never system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

ulimit -n "$(ulimit -Hn)"
echo "bench/run.sh on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), open files limit $(ulimit -n); load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build bench/Fleet.Bench -c Release -nologo -v quiet -clp:NoSummary
bench=(dotnet bench/Fleet.Bench/bin/Release/net10.0/fleet-bench.dll)

if [ "$quick" = 1 ]; then
  timeout 100 "${bench[@]}" load --agents 200 --steady 6 --settle 2 --bound 40
  timeout 60 "${bench[@]}" rollout --nodes 20 --step-ms 100 --bound 40
  timeout 60 "${bench[@]}" ctl --nodes 20 --reps 3 --bound 40
  exit 0
fi

need=10000
if [ "$(ulimit -n)" -lt $(( need + 1000 )) ]; then
  echo "bench/run.sh: the open-files limit is $(ulimit -n); 10,000 agents need about $(( need + 1000 )) (one connection each, in this process and in the coordinator)" >&2
  exit 1
fi
timeout 3600 "${bench[@]}" load --agents 1000,5000,10000 --steady 60 --settle 10 --bound 600
timeout 600 "${bench[@]}" rollout --nodes 100 --step-ms 500 --batch-percent 20
timeout 300 "${bench[@]}" prefetch --nodes 3 --size 4 --rate 2048 --bound 120
timeout 300 "${bench[@]}" ctl --nodes 100 --reps 20 --aot "$(packaging/publish.sh fleetctl amd64)"
bench/agent-footprint.sh --idle 60
bench/agent-footprint.sh --aot --idle 60
bench/agent-footprint.sh --arm64 --idle 60
