#!/usr/bin/env bash
# Tests the .debs of packaging/build.sh as root (run by .ci/run after ./test.sh):
#   1. lintian on every package of this version: no error, no warning.
#   2. In a Debian bookworm container booted with systemd as PID 1 (systemd-nspawn, its own network
#      namespace: the coordinator and the agent talk over the container's loopback): the portable
#      armhf agent refused by its preinst (no .NET runtime there; PortableAgentTests run it);
#      systemd-analyze verify on both units (any output on stderr fails); the shell completion scripts
#      (what the installed programs print, registering in bash); install the coordinator and
#      the agent; a token from fleetctl; enroll; the agent `active (running)` with its STATUS text;
#      the node in `fleetctl nodes list`; the control socket's owner and mode; the agent retrying
#      (STATUS and a warning in the journal) while the coordinator is stopped; kill the agent's main
#      process and see systemd restart it; 60 s idle (the watchdog must not fire; RSS measured);
#      the agent upgrading itself through Fleet (test-packages-upgrade.sh: a real rebuild at the next
#      version succeeds; broken packages rolled back by the local watchdog; kill -9 during dpkg);
#      remove (service gone, state kept), purge (state gone), for both packages; between the two, an
#      agent installed without the package upgrading itself side by side (test-packages-bare.sh).
# Fails with a line "test-packages: FAILED: ..." and a non-zero exit; always stops the container it
# started (by PID) and removes its copy of the root file system.
#
#   packaging/test-packages.sh [--keep]   (--keep: leave the container running, print how to enter it)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
repo=$PWD
keep=false
[ "${1:-}" = --keep ] && keep=true
started=$SECONDS

say() { echo "test-packages: $*"; }
fail() {
  echo "test-packages: FAILED: $*" >&2
  if [ -n "${pid1:-}" ] && [ -e "/proc/$pid1" ]; then
    echo "test-packages: the Fleet units' journal in the container (last 40 lines):" >&2
    c journalctl -u fleet-agent -u fleet-coordinator --no-pager -n 40 >&2 || true
  fi
  exit 1
}
trap 'echo "test-packages: FAILED (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
[ "$(id -u)" = 0 ] || fail "run as root (dpkg, systemd-nspawn, nsenter)"
for tool in lintian systemd-nspawn debootstrap nsenter zstd dpkg-deb; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run packaging/install-deps.sh"
done

version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
debs=$repo/artifacts/packages
agent_deb=$debs/fleet-agent_${version}_amd64.deb
coordinator_deb=$debs/fleet-coordinator_${version}_amd64.deb
for f in "$agent_deb" "$coordinator_deb"; do
  [ -f "$f" ] || fail "$f is missing: run packaging/build.sh first"
done

# ---- lintian ----
say "lintian $(cd "$debs" && echo *_"${version}"_*.deb)"
if ! lintian_out=$(lintian --fail-on error,warning --tag-display-limit 0 "$debs"/*_"${version}"_*.deb 2>&1); then
  echo "$lintian_out" >&2
  fail "lintian reports errors or warnings (above)"
fi
grep -E '^[EW]: ' <<<"$lintian_out" && fail "lintian printed errors or warnings (above)"
say "lintian: no errors, no warnings"

# ---- the upgrade: a real rebuild of the agent at the next patch version ----
# Built, not repackaged: the new agent must report its own version for the watchdog to confirm it
# (test-packages-upgrade.sh). One more Native AOT publish of the agent, cached like every publish.
IFS=. read -r major minor patch <<<"$version"
next=$major.$minor.$((patch + 1))
upgrade_dir=$repo/artifacts/packages-upgrade
say "building fleet-agent $next (amd64) for the upgrade tests"
packaging/build.sh --version "$next" --only agent --arch amd64 --out "$upgrade_dir" >"$repo/.cache/packaging/build-upgrade.log" 2>&1 \
  || { tail -20 "$repo/.cache/packaging/build-upgrade.log" >&2; fail "packaging/build.sh --version $next failed (above)"; }
upgrade_deb=$upgrade_dir/fleet-agent_${next}_amd64.deb
[ -f "$upgrade_deb" ] || fail "build.sh did not make $upgrade_deb"

# ---- a Debian root file system with systemd, cached as a tar.zst ----
include=systemd,systemd-sysv,dbus,libssl3,zlib1g,libgcc-s1,libstdc++6,man-db  # man-db: verify checks Documentation=man:
rootfs_tar=$repo/.cache/packaging/rootfs-bookworm-$(echo "$include" | sha256sum | cut -c1-8).tar.zst
if [ ! -f "$rootfs_tar" ]; then
  say "debootstrap bookworm (minbase + $include), cached as $rootfs_tar"
  boot_tmp=$(mktemp -d /var/tmp/fleet-debootstrap.XXXXXX)
  if ! debootstrap --variant=minbase --include="$include" bookworm "$boot_tmp/root" >"$boot_tmp/log" 2>&1; then
    tail -20 "$boot_tmp/log" >&2
    rm -rf --one-file-system "$boot_tmp"
    fail "debootstrap failed (above)"
  fi
  tar -C "$boot_tmp/root" --zstd -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  find "$repo/.cache/packaging" -maxdepth 1 -name 'rootfs-bookworm-*.tar.zst' ! -path "$rootfs_tar" -delete
  rm -rf --one-file-system "$boot_tmp"
fi

work=$(mktemp -d /var/tmp/fleet-pkgtest.XXXXXX)
root=$work/root
nspawn_pid=''
pid1=''
http_pid=''
cleanup() {
  local status=$?
  if [ -n "$http_pid" ]; then kill "$http_pid" 2>/dev/null || true; wait "$http_pid" 2>/dev/null || true; fi
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    if $keep && [ "$status" = 0 ]; then
      say "container left running: nsenter -t $pid1 -m -u -i -n -p -- bash   (stop: kill $nspawn_pid; then rm -rf $work)"
      return
    fi
    kill -TERM "$nspawn_pid" 2>/dev/null || true   # systemd-nspawn powers the container off
    for _ in $(seq 1 40); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      # Still there after 20 s: end its PID namespace (all of the container) and systemd-nspawn.
      [ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null || true
      kill -KILL "$nspawn_pid" 2>/dev/null || true
      wait "$nspawn_pid" 2>/dev/null || true
    fi
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

mkdir -p "$root"
tar -C "$root" --zstd -xf "$rootfs_tar"
mkdir -p "$root/root/debs"
cp "$agent_deb" "$coordinator_deb" "$root/root/debs/"
# The portable armhf agent (build.sh makes it where the linux-arm runtime pack does not restore): its
# preinst must refuse this container, which has no .NET runtime, before dpkg unpacks anything.
portable_deb=$debs/fleet-agent_${version}_armhf.deb
if [ -f "$portable_deb" ] && dpkg-deb -I "$portable_deb" preinst 2>/dev/null | grep -q fleet_check_runtime; then
  cp "$portable_deb" "$root/root/debs/"
else
  portable_deb=''
fi
machine=fleet-pkgtest-$$
say "booting the container $machine (systemd-nspawn --boot --private-network)"
systemd-nspawn -D "$root" --boot --register=no --keep-unit --console=pipe --private-network \
  --machine="$machine" </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!

# c CMD...: runs CMD inside the container (its namespaces), with a clean environment.
c() { nsenter -t "$pid1" -m -u -i -n -p -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }
# wait_for WHAT SECONDS CMD...: polls CMD every half second until it succeeds, else fails naming WHAT.
wait_for() {
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what"
    sleep 0.5
  done
}
# The container's PID 1 is the child of systemd-nspawn that lives in a PID namespace of its own. Not just
# any child: for a moment nspawn's intermediate child (in the host's PID namespace) is there too, and it
# exits once it has started the container, which left a stale PID here once.
has_pid1() {
  local host p ns
  host=$(readlink "/proc/$nspawn_pid/ns/pid") || return 1
  for p in $(ps -o pid= --ppid "$nspawn_pid"); do
    ns=$(readlink "/proc/$p/ns/pid" 2>/dev/null) || continue
    if [ "$ns" != "$host" ]; then pid1=$p; return 0; fi
  done
  return 1
}
wait_for "systemd-nspawn started no container (console: $(tail -5 "$work/console.log" 2>/dev/null))" 30 has_pid1
booted() { state=$(c systemctl is-system-running 2>/dev/null || true); [ "$state" = running ] || [ "$state" = degraded ]; }
wait_for "the container did not finish booting (state: $(c systemctl is-system-running 2>&1 || true))" 60 booted
say "container up (PID 1 is $pid1 here): $(c systemctl is-system-running 2>&1 || true)"

# ---- the portable armhf agent without a .NET runtime: refused by its preinst, nothing installed ----
if [ -n "$portable_deb" ]; then
  if c dpkg -i --force-architecture "/root/debs/$(basename "$portable_deb")" >"$work/portable.log" 2>&1; then
    fail "dpkg -i of the portable armhf agent succeeded in a container without .NET: $(cat "$work/portable.log")"
  fi
  grep -q 'fleet-agent: cannot install: no dotnet found' "$work/portable.log" || fail "the portable agent's preinst did not say why it refused: $(cat "$work/portable.log")"
  [ "$(c dpkg-query -W -f='${Status}' fleet-agent 2>/dev/null || true)" != "install ok installed" ] || fail "fleet-agent is installed after its preinst refused"
  c test ! -e /usr/lib/fleet-agent/fleet-agent.dll || fail "the refused portable agent left /usr/lib/fleet-agent/fleet-agent.dll"
  c dpkg --purge fleet-agent >/dev/null 2>&1 || true   # dpkg may remember a not-installed entry
  say "portable armhf agent refused without a .NET 10 runtime: $(grep -m1 'cannot install' "$work/portable.log")"
fi

# ---- install ----
say "dpkg -i fleet-coordinator fleet-agent $version"
c dpkg -i "/root/debs/$(basename "$coordinator_deb")" "/root/debs/$(basename "$agent_deb")" >"$work/dpkg.log" 2>&1 \
  || { cat "$work/dpkg.log" >&2; fail "dpkg -i of the two packages failed (above)"; }

# systemd-analyze verify, as installed: any output on stderr is a failure.
for unit in fleet-agent.service fleet-coordinator.service; do
  verify_err=$(c systemd-analyze verify "/lib/systemd/system/$unit" 2>&1 >/dev/null) || fail "systemd-analyze verify $unit exited non-zero: $verify_err"
  [ -z "$verify_err" ] || fail "systemd-analyze verify $unit: $verify_err"
done
say "systemd-analyze verify: both units clean"

# Shell completion, as installed: the packaged bash script is what the installed program prints, bash
# sourcing it registers its function for the command, and the zsh and fish scripts are there.
for program in fleetctl fleet-agent fleet-coordinator; do
  bin=$program
  [ "$program" = fleet-coordinator ] && bin=/usr/lib/fleet-coordinator/fleet-coordinator
  c sh -c "$bin completion bash | cmp -s - /usr/share/bash-completion/completions/$program" \
    || fail "/usr/share/bash-completion/completions/$program is not what \`$bin completion bash\` prints"
  registered=$(c bash --norc --noprofile -c ". /usr/share/bash-completion/completions/$program && complete -p $program" 2>&1) || true
  [ "$registered" = "complete -F _${program//-/_} $program" ] || fail "sourcing the bash completion of $program: $registered"
  c test -s "/usr/share/zsh/vendor-completions/_$program" || fail "no zsh completion for $program"
  c test -s "/usr/share/fish/vendor_completions.d/$program.fish" || fail "no fish completion for $program"
done
say "shell completion of fleetctl, fleet-agent and fleet-coordinator installed and registering in bash"

# The coordinator: its own user, in group fleet; listening on the container's loopback.
c sed -i 's/^FLEET_COORDINATOR_OPTS=.*/FLEET_COORDINATOR_OPTS="--listen 127.0.0.1:7443"/' /etc/default/fleet-coordinator
c systemctl restart fleet-coordinator || fail "fleet-coordinator did not restart: $(c systemctl status fleet-coordinator --no-pager 2>&1 | tail -15)"
[ "$(c systemctl is-active fleet-coordinator)" = active ] || fail "fleet-coordinator is not active"
coordinator_pid=$(c systemctl show -p MainPID --value fleet-coordinator)
coordinator_uid=$(c awk '/^Uid:/ { print $2 }' "/proc/$coordinator_pid/status")
[ "$coordinator_uid" = "$(c id -u fleet-coordinator)" ] || fail "fleet-coordinator runs as uid $coordinator_uid, not as the fleet-coordinator user"
socket=$(c stat -c '%U:%G %a' /run/fleet/control.sock) || fail "no control socket /run/fleet/control.sock"
[ "$socket" = "fleet-coordinator:fleet 660" ] || fail "the control socket is $socket, expected fleet-coordinator:fleet 660"
[ "$(c stat -c '%a' /var/lib/fleet-coordinator)" = 700 ] || fail "/var/lib/fleet-coordinator is not 0700"
say "coordinator active as user fleet-coordinator; /run/fleet/control.sock $socket"

# fleetctl: root, and a member of group fleet, may use the socket; another user may not.
c useradd --no-create-home --groups fleet fleet-operator
c useradd --no-create-home fleet-stranger
c runuser -u fleet-operator -- fleetctl nodes list >/dev/null || fail "a member of group fleet cannot use fleetctl"
if c runuser -u fleet-stranger -- fleetctl nodes list >/dev/null 2>&1; then fail "a user outside group fleet could use fleetctl"; fi

# The agent: enabled, but not started before it is enrolled.
[ "$(c systemctl is-enabled fleet-agent)" = enabled ] || fail "fleet-agent.service is not enabled after install"
[ "$(c systemctl is-active fleet-agent || true)" = inactive ] || fail "fleet-agent started before enrollment"

# ---- token, enroll, start ----
token_out=$(c fleetctl token create) || fail "fleetctl token create failed: $token_out"
token=$(awk '$1 == "token:" { print $2 }' <<<"$token_out")
pin=$(awk '$1 == "ca-pin:" { print $2 }' <<<"$token_out")
[ -n "$token" ] && [ -n "$pin" ] || fail "no token or CA pin in: $token_out"
c sed -i 's|^  // "coordinator": .*|  "coordinator": "https://127.0.0.1:7443",|' /etc/fleet/agent.json
c grep -q '^  "coordinator": "https://127.0.0.1:7443",' /etc/fleet/agent.json || fail "could not set the coordinator in /etc/fleet/agent.json"
[ "$(c stat -c %a /etc/fleet/agent.json)" = 600 ] || fail "/etc/fleet/agent.json is not 0600 after install"
# The coordinator runs in the same container: the agent's default name, the host name, is one of the
# coordinator's own TLS names, and is refused (a node must never be named like its coordinator), with
# no use of the token spent. The node then takes a name of its own in agent.json.
if c fleet-agent enroll --token - --ca-pin "$pin" <<<"$token" >"$work/enroll.log" 2>&1; then
  fail "fleet-agent enroll under the coordinator's host name was accepted"
fi
grep -q "one of the coordinator's own TLS names" "$work/enroll.log" || fail "enroll under the coordinator's host name: no clear refusal: $(cat "$work/enroll.log")"
c sed -i 's|^  "stateDir"|  "name": "node-1",\n  "stateDir"|' /etc/fleet/agent.json
c grep -q '^  "name": "node-1",' /etc/fleet/agent.json || fail "could not set the name in /etc/fleet/agent.json"
# The token on standard input, not on the command line (/proc/PID/cmdline is readable by every user).
c fleet-agent enroll --token - --ca-pin "$pin" <<<"$token" >"$work/enroll.log" 2>&1 || { cat "$work/enroll.log" >&2; fail "fleet-agent enroll failed (above)"; }
if grep -q warning "$work/enroll.log"; then fail "fleet-agent enroll warned: $(cat "$work/enroll.log")"; fi
c test -f /var/lib/fleet-agent/node.crt || fail "enroll left no /var/lib/fleet-agent/node.crt"
agent_version=$(c fleet-agent --version)
[[ "$agent_version" == "$version"* ]] || fail "fleet-agent --version says $agent_version, the package is $version"
c systemctl start fleet-agent || fail "systemctl start fleet-agent failed: $(c systemctl status fleet-agent --no-pager 2>&1 | tail -20)"
node=node-1
agent_status() { c systemctl status fleet-agent --no-pager --lines=0 2>&1 || true; }
connected() { agent_status | grep -q 'Active: active (running)' && agent_status | grep -q "Status: \"connected to https://127.0.0.1:7443/ as node $node"; }
wait_for "fleet-agent is not active (running) with a connected STATUS: $(agent_status)" 30 connected
say "agent: $(agent_status | grep -E 'Active:|Status:' | sed 's/^ *//' | tr '\n' ' ')"
listed() { c fleetctl nodes list | grep -qw "$node"; }
wait_for "node $node is not in fleetctl nodes list: $(c fleetctl nodes list 2>&1)" 30 listed
say "fleetctl nodes list shows $node"

# ---- the coordinator goes away: the agent says it is retrying, in its status and the journal ----
c systemctl stop fleet-coordinator
retrying() { agent_status | grep -q 'Status: "retrying https://127.0.0.1:7443/'; }
wait_for "the agent's STATUS does not say it is retrying: $(agent_status)" 60 retrying
warned() { c journalctl -u fleet-agent -p warning --no-pager -o cat | grep -q 'Session with https://127.0.0.1:7443/ failed'; }
wait_for "no warning-level journal entry for the failed session: $(c journalctl -u fleet-agent --no-pager -n 5 2>&1)" 10 warned
c journalctl -u fleet-agent --no-pager -o cat | grep -q '^<[0-7]>' && fail "journal lines carry unparsed <N> priority prefixes"
c systemctl start fleet-coordinator
wait_for "the agent did not reconnect after the coordinator came back: $(agent_status)" 90 connected
say "coordinator stopped: agent STATUS retrying, warning in the journal; reconnected after it came back"

# ---- kill the agent: systemd restarts it ----
old_pid=$(c systemctl show -p MainPID --value fleet-agent)
c sh -c 'kill -KILL "$1"' sh "$old_pid"   # the shell's kill: minbase has no procps
restarted() { p=$(c systemctl show -p MainPID --value fleet-agent); [ "$p" != 0 ] && [ "$p" != "$old_pid" ] && connected; }
wait_for "fleet-agent was not restarted after kill -9 $old_pid: $(agent_status)" 60 restarted
[ "$(c systemctl show -p NRestarts --value fleet-agent)" -ge 1 ] || fail "NRestarts did not count the restart"
say "killed $old_pid; systemd restarted the agent as $(c systemctl show -p MainPID --value fleet-agent)"

# ---- 60 s idle: the watchdog (WatchdogSec=60s) must not fire; RSS ----
[ "$(c systemctl show -p WatchdogUSec --value fleet-agent)" = 1min ] || fail "fleet-agent has no 60 s watchdog: $(c systemctl show -p WatchdogUSec --value fleet-agent)"
idle_pid=$(c systemctl show -p MainPID --value fleet-agent)
restarts=$(c systemctl show -p NRestarts --value fleet-agent)
say "60 s idle (the watchdog would kill an agent that stopped pinging)"
sleep 65
[ "$(c systemctl show -p MainPID --value fleet-agent)" = "$idle_pid" ] || fail "the agent was restarted while idle (watchdog?): $(c journalctl -u fleet-agent --no-pager -n 10 2>&1)"
[ "$(c systemctl show -p NRestarts --value fleet-agent)" = "$restarts" ] || fail "NRestarts moved while idle"
rss=$(c awk '/^VmRSS:/ { print $2 }' "/proc/$idle_pid/status")
say "measure: fleet-agent RSS after 60 s idle: $((rss / 1024)) MiB ($rss kB)"

# ---- the agent upgrades itself through Fleet: rolled back when broken, kill -9 during dpkg ----
# shellcheck source=packaging/test-packages-upgrade.sh
. "$repo/packaging/test-packages-upgrade.sh"

# ---- fleetctl nodes remove: the agent stops for good (exit 77) and systemd does not restart it ----
removed_restarts=$(c systemctl show -p NRestarts --value fleet-agent)
c fleetctl nodes remove "$node" >/dev/null || fail "fleetctl nodes remove $node failed"
stopped() { [ "$(c systemctl show -p ExecMainStatus --value fleet-agent)" = 77 ] && [ "$(c systemctl is-active fleet-agent || true)" != active ]; }
wait_for "fleet-agent did not stop with exit code 77 after nodes remove: $(agent_status)" 60 stopped
sleep 8   # past RestartSec=5s: a restart would have happened by now
[ "$(c systemctl is-active fleet-agent || true)" != active ] || fail "fleet-agent was restarted after it exited 77: $(agent_status)"
[ "$(c systemctl show -p NRestarts --value fleet-agent)" = "$removed_restarts" ] || fail "systemd restarted fleet-agent after exit 77 (NRestarts moved)"
c journalctl -u fleet-agent --no-pager -o cat | grep -q "refuses this node's certificate for good" || fail "no line in the journal saying the node's certificate is refused for good"
say "nodes remove: fleet-agent exited 77 ($(c systemctl is-active fleet-agent || true)), not restarted; the journal says to enroll again"

# ---- remove: service gone, state kept; purge: state gone ----
c dpkg -r fleet-agent >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r fleet-agent failed"; }
[ "$(c systemctl is-active fleet-agent || true)" != active ] || fail "fleet-agent still active after dpkg -r"
[ "$(c systemctl show -p MainPID --value fleet-agent)" = 0 ] || fail "fleet-agent still has a main process after dpkg -r"
c test ! -e /lib/systemd/system/fleet-agent.service || fail "the unit file is still there after dpkg -r"
c test ! -e /usr/bin/fleet-agent || fail "/usr/bin/fleet-agent is still there after dpkg -r"
c test -f /var/lib/fleet-agent/node.key || fail "dpkg -r removed the node's identity (only purge should)"
c test -f /etc/fleet/agent.json || fail "dpkg -r removed the conffile (only purge should)"
c dpkg -P fleet-agent >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg -P fleet-agent failed"; }
c test ! -e /var/lib/fleet-agent || fail "dpkg -P left /var/lib/fleet-agent"
c test ! -e /etc/fleet/agent.json || fail "dpkg -P left /etc/fleet/agent.json"
c test ! -e /etc/systemd/system/multi-user.target.wants/fleet-agent.service || fail "dpkg -P left the unit enabled"
say "fleet-agent removed (service gone, state kept), then purged (state gone)"

# ---- an agent installed without the package: side-by-side versions, an atomic switch ----
# shellcheck source=packaging/test-packages-bare.sh
. "$repo/packaging/test-packages-bare.sh"

c dpkg -r fleet-coordinator >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r fleet-coordinator failed"; }
[ "$(c systemctl is-active fleet-coordinator || true)" != active ] || fail "fleet-coordinator still active after dpkg -r"
c test ! -e /usr/bin/fleetctl || fail "/usr/bin/fleetctl is still there after dpkg -r"
c test -f /var/lib/fleet-coordinator/ca.key || fail "dpkg -r removed the coordinator's CA (only purge should)"
c dpkg -P fleet-coordinator >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg -P fleet-coordinator failed"; }
c test ! -e /var/lib/fleet-coordinator || fail "dpkg -P left /var/lib/fleet-coordinator"
say "fleet-coordinator removed (CA kept), then purged (state gone)"

# ---- sizes ----
for f in "$debs"/*_"${version}"_*.deb; do
  say "measure: $(basename "$f"): $(($(stat -c %s "$f") / 1024)) KiB"
done
for d in "$repo"/.cache/packaging/agent-linux-*-"$version"-*; do
  [ -f "$d/fleet-agent" ] && say "measure: fleet-agent binary $(basename "$d" | cut -d- -f2,3): $(($(stat -c %s "$d/fleet-agent") / 1024)) KiB"
done
say "passed in $((SECONDS - started)) s"
