#!/usr/bin/env bash
# Fleet demo on the embedded defaults: builds Fleet, starts a coordinator, creates a join token with
# fleetctl, enrolls three agents with it (`fleet-agent enroll`: CA pinned, key made on the node) and
# runs them over mTLS on loopback (each agent with a sandbox --root under .demo/, so nothing needs
# root), waits until all three nodes report, serves a local artifact mirror (Debian's real
# multi-arch CNI plugins, built once by tests/fixtures/make-artifacts.sh, which needs root the first
# time), applies a catalog of it, installs the CNI plugins on every node with `fleetctl run
# install-cni`, prints `fleetctl nodes list`, then stops what it started.
#   ./demo.sh          run and clean up
#   ./demo.sh --keep   leave the coordinator and agents running and print how to use fleetctl
# Ports: FLEET_DEMO_PORT (agents, default 17443), FLEET_DEMO_METRICS_PORT (default 19464).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
keep=0
case "${1:-}" in
  --keep) keep=1 ;;
  "") ;;
  *) echo "usage: ./demo.sh [--keep]" >&2; exit 2 ;;
esac

port=${FLEET_DEMO_PORT:-17443}
metrics_port=${FLEET_DEMO_METRICS_PORT:-19464}
mirror_port=${FLEET_DEMO_MIRROR_PORT:-18080}
artifacts=$PWD/.cache/artifacts
if [ ! -f "$artifacts/versions.env" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "demo: building the artifact mirror from Debian's packages (once)"
    tests/fixtures/make-artifacts.sh "$artifacts"
  else
    echo "demo: the artifact mirror is not built yet; run once as root: tests/fixtures/make-artifacts.sh" >&2
    exit 1
  fi
fi
demo=$PWD/.demo
if [ -f "$demo/pids" ]; then
  echo "demo: stopping the demo left running earlier"
  xargs -r kill < "$demo/pids" 2>/dev/null || true
  sleep 1
fi
rm -rf "$demo"
mkdir -p "$demo"

echo "demo: building (Release)"
for p in coordinator/Fleet.Coordinator agent coordinator/Fleet.Ctl; do
  dotnet build "$p" -c Release -nologo -v quiet -clp:NoSummary
done
bin() { echo "$PWD/$1/bin/Release/net10.0/$2"; }
coordinator=$(bin coordinator/Fleet.Coordinator fleet-coordinator)
agent=$(bin agent fleet-agent)
fleetctl=$(bin coordinator/Fleet.Ctl fleetctl)
export FLEET_SOCKET=$demo/control.sock

pids=()
cleanup() {
  if [ "$keep" = 0 ] && [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    rm -f "$demo/pids"
  fi
}
trap cleanup EXIT

"$coordinator" --listen "127.0.0.1:$port" --data-dir "$demo/coordinator" --socket "$FLEET_SOCKET" \
  --metrics-listen "127.0.0.1:$metrics_port" --heartbeat-interval 2s > "$demo/coordinator.log" 2>&1 &
pids+=($!)
printf '%s\n' "${pids[@]}" > "$demo/pids"

for _ in $(seq 1 60); do
  [ -S "$FLEET_SOCKET" ] && "$fleetctl" token list > /dev/null 2>&1 && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "demo: the coordinator exited:" >&2; cat "$demo/coordinator.log" >&2; exit 1
  fi
  sleep 0.5
done

echo "demo: creating a join token for three nodes"
"$fleetctl" token create --uses 3 --ttl 10m --label purpose=demo > "$demo/token.txt"
token=$(awk '$1 == "token:" { print $2 }' "$demo/token.txt")
ca_pin=$(awk '$1 == "ca-pin:" { print $2 }' "$demo/token.txt")
rm -f "$demo/token.txt" # the token is a secret: it lives in this shell only
echo "demo: CA pin $ca_pin"

for i in 1 2 3; do
  root=$demo/nodes/node-$i
  # The sandbox sees the real kernel files; everything the agent writes stays inside it.
  mkdir -p "$root/etc" "$root/opt/cni/bin"
  ln -s /proc "$root/proc"
  ln -s /sys "$root/sys"
  cp /etc/os-release "$root/etc/os-release"
  "$agent" enroll --coordinator "https://127.0.0.1:$port" --token - --ca-pin "$ca_pin" --name "node-$i" --root "$root" <<<"$token" \
    > "$demo/enroll-$i.log" 2>&1 || { echo "demo: node-$i could not enroll:" >&2; cat "$demo/enroll-$i.log" >&2; exit 1; }
  "$agent" --coordinator "https://127.0.0.1:$port" --name "node-$i" --root "$root" > "$demo/agent-$i.log" 2>&1 &
  pids+=($!)
done
echo "demo: three agents enrolled and running over mTLS"
printf '%s\n' "${pids[@]}" > "$demo/pids"

echo "demo: waiting for three nodes to report"
for _ in $(seq 1 120); do
  online=$("$fleetctl" nodes list --status online -o json 2>/dev/null | grep -c '"checks": \[$' || true)
  [ "$online" = 3 ] && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "demo: the coordinator exited:" >&2; cat "$demo/coordinator.log" >&2; exit 1
  fi
  sleep 0.5
done
if [ "$online" != 3 ]; then
  echo "demo: only $online of 3 nodes came online; logs are in $demo" >&2
  exit 1
fi

# A local mirror and a catalog of it: one URL template, one sha256 per architecture.
python3 -m http.server --bind 127.0.0.1 --directory "$artifacts" "$mirror_port" > "$demo/mirror.log" 2>&1 &
pids+=($!)
printf '%s\n' "${pids[@]}" > "$demo/pids"
# shellcheck disable=SC1091
. "$artifacts/versions.env"
sha() { awk -v f="$1" '$2 == f || $2 == "*"f || $2 == "./"f {print $1}' "$artifacts/SHA256SUMS"; }
cat > "$demo/catalog.yaml" <<EOT
components:
  cni-plugins:
    kind: cni-plugins
    url: http://127.0.0.1:$mirror_port/cni-plugins-{os}-{arch}-{version}.tgz
    versions:
      $CNI_VERSION:
        amd64: { sha256: $(sha "cni-plugins-linux-amd64-$CNI_VERSION.tgz") }
        arm64: { sha256: $(sha "cni-plugins-linux-arm64-$CNI_VERSION.tgz") }
        arm: { sha256: $(sha "cni-plugins-linux-arm-$CNI_VERSION.tgz") }
  kubectl:
    kind: binary
    url: http://127.0.0.1:$mirror_port/kubectl/{arch}/kubectl
    versions:
      $KUBECTL_VERSION:
        amd64: { sha256: $(sha kubectl/amd64/kubectl) }
        arm64: { sha256: $(sha kubectl/arm64/kubectl) }
        arm: { sha256: $(sha kubectl/arm/kubectl) }
EOT
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$mirror_port/versions.env" && break; sleep 0.1; done

echo
echo "\$ fleetctl nodes list"
"$fleetctl" nodes list
echo
echo "\$ fleetctl token list"
"$fleetctl" token list
echo
echo "\$ fleetctl catalog apply -f $demo/catalog.yaml"
"$fleetctl" catalog apply -f "$demo/catalog.yaml"
echo
# A rollout: CNI plugins and kubectl for each node's own architecture, two nodes per batch. After each batch
# (and before the rollout succeeds) its gates must hold: the mirror answers, and still answers after a soak.
cat > "$demo/rollout.yaml" <<EOT
name: cni-and-kubectl
target: {}
strategy:
  batchSize: 2
  failureThreshold: 1
  onFailure: pause
  gates:
    - http: { url: "http://127.0.0.1:$mirror_port/versions.env", expectStatus: 200 }
    - soak: 2s
steps:
  - install-cni: { version: $CNI_VERSION }
  - download: { component: kubectl, version: $KUBECTL_VERSION, dest: /usr/local/bin/kubectl }
EOT
echo "\$ cat $demo/rollout.yaml"
cat "$demo/rollout.yaml"
echo
echo "\$ fleetctl rollout plan -f $demo/rollout.yaml"
"$fleetctl" rollout plan -f "$demo/rollout.yaml"
echo
echo "\$ fleetctl rollout apply -f $demo/rollout.yaml"
"$fleetctl" rollout apply -f "$demo/rollout.yaml"
echo
echo "\$ fleetctl rollout watch r1"
"$fleetctl" rollout watch r1
echo
echo "\$ fleetctl rollout logs r1 --node node-2"
"$fleetctl" rollout logs r1 --node node-2
echo
echo "demo: waiting for the nodes to report their CNI plugins"
for _ in $(seq 1 60); do
  healthy=$("$fleetctl" nodes list -o json | grep -c '"reason": "loopback, portmap, bridge, host-local present' || true)
  [ "$healthy" = 3 ] && break
  sleep 0.5
done
echo
echo "\$ fleetctl nodes list -o wide"
"$fleetctl" nodes list -o wide
echo
"$fleetctl" nodes get node-1
if [ "$healthy" != 3 ]; then
  echo "demo: only $healthy of 3 nodes report their CNI plugins present" >&2
  exit 1
fi
echo
echo "demo: memory (RSS): $(ps -o rss=,comm= -p "$(IFS=,; echo "${pids[*]}")" | awk '{printf "%s %d MiB; ", $2, $1/1024}')"

if [ "$keep" = 1 ]; then
  cat <<EOT

The coordinator and three agents keep running (logs and state in $demo).
  export FLEET_SOCKET=$FLEET_SOCKET
  $fleetctl nodes list -o wide
  $fleetctl nodes get node-2 -o json
  $fleetctl rollout list; $fleetctl rollout get r1 -o wide
  $fleetctl token create --uses 1 --ttl 1h     # enroll another node with it
  $fleetctl nodes remove node-3                # revokes its certificate: its next connect is refused
  curl -s http://127.0.0.1:$metrics_port/metrics | grep ^fleet_
Stop them with: kill \$(cat $demo/pids)   (or run ./demo.sh again)
EOT
else
  echo "demo: stopping"
fi
