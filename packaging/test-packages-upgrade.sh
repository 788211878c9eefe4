# Sourced by packaging/test-packages.sh once the node is enrolled and connected: the agent upgrades
# itself through Fleet (docs/agent-upgrades.md), in the container booted with systemd, with real dpkg.
#
# Packages, served over HTTP on the container's loopback (python3's http.server of this machine, run in
# the container's network namespace only):
#   N   ($version)   the package under test
#   N+1 ($next)      a real rebuild of the agent at the next patch version (build.sh --version), so the new
#                    agent reports N+1 by itself
#   N+2 ($broken_exit)     N+1's package with a unit drop-in whose agent exits at start (an unknown flag: exit 2)
#   N+3 ($broken_connect)  N+1's package with a drop-in whose agent starts but cannot connect (--coordinator
#                          names a closed port)
# Cases, each ending with `dpkg -s fleet-agent` = the version the running agent reports to the coordinator
# = the version of the file it runs (not a deleted one):
#   1. N -> N+2: rolled back to N within the deadline, node rolled-back with the watchdog's reason, online on N
#   2. N -> N+3: the same, the reason says the service was running
#   3. N -> N+1: succeeds, N+1 reports; config and identity kept
#   4. N+1 -> N with kill -9 of the agent while the watchdog installs: ends on a working version
# Uses c, wait_for, fail, say, connected, agent_status and node from test-packages.sh.

http_port=8088
serve=$work/serve
deadline=30s

# rollout_view ID: the rollout as JSON (fleetctl rollout get -o json).
rollout_view() { c fleetctl rollout get "$1" -o json; }
# node_field ID FIELD: FIELD (state, error, fromVersion, ...) of the one node of rollout ID.
node_field() { rollout_view "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['nodes'][0].get('$2') or '')"; }
# reported_version: the agent version the coordinator has from the running agent's Hello.
reported_version() { c fleetctl nodes get "$node" -o json | python3 -c "import json,sys; print(json.load(sys.stdin)['agentVersion'])"; }
installed_version() { c dpkg-query -W -f='${Version}' fleet-agent; }

# consistent WANT: dpkg, the coordinator and the running process all say WANT.
consistent() {
  local want=$1 pid exe dpkg_status
  dpkg_status=$(c dpkg-query -W -f='${Status} ${Version}' fleet-agent)
  [ "$dpkg_status" = "install ok installed $want" ] || fail "dpkg-query says \"$dpkg_status\", expected \"install ok installed $want\""
  pid=$(c systemctl show -p MainPID --value fleet-agent)
  [ "$pid" != 0 ] || fail "fleet-agent has no main process: $(agent_status)"
  exe=$(c readlink "/proc/$pid/exe")
  [ "$exe" = /usr/bin/fleet-agent ] || fail "the running agent ($pid) runs $exe, not the installed /usr/bin/fleet-agent"
  [[ "$(c fleet-agent --version)" == "$want"* ]] || fail "/usr/bin/fleet-agent --version says $(c fleet-agent --version), dpkg says $want"
  wait_for "the coordinator does not list $node with agent $want (it has $(reported_version 2>&1))" 30 reports "$want"
}
reports() { [ "$(reported_version)" = "$1" ] && connected; }

# apply_upgrade VERSION: starts an upgrade-agent rollout of node to VERSION; prints its id.
apply_upgrade() {
  local out
  # onFailure: abort: a rolled-back node ends the rollout (failed) instead of pausing it, which would
  # hold the node from the next case's rollout.
  out=$(c fleetctl rollout apply -f - 2>&1 <<EOF
name: agent-$1
target: { names: [$node] }
strategy: { onFailure: abort }
recipe:
  upgrade-agent: { version: "$1", deadline: $deadline }
EOF
) || fail "fleetctl rollout apply (upgrade-agent $1) failed: $out"
  awk '$1 == "rollout" { print $2; exit }' <<<"$out"
}
# finish ID: waits for rollout ID to end (fleetctl rollout watch; its exit code is the outcome, checked by the caller).
finish() { timeout 300 nsenter -t "$pid1" -m -u -i -n -p -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root fleetctl rollout watch "$1" >"$work/watch-$1.log" 2>&1 || true; }

# ---- the packages and the server ----
mkdir -p "$serve"
cp "$agent_deb" "$upgrade_deb" "$serve/"
# broken_deb VERSION NAME DROPIN: N+1's package as VERSION with DROPIN as fleet-agent.service.d/NAME.conf.
broken_deb() {
  local v=$1 tree=$work/deb-$1
  dpkg-deb -R "$upgrade_deb" "$tree"
  sed -i "s/^Version: .*/Version: $v/" "$tree/DEBIAN/control"
  install -d "$tree/lib/systemd/system/fleet-agent.service.d"
  printf '[Service]\nExecStart=\nExecStart=%s\n' "$3" >"$tree/lib/systemd/system/fleet-agent.service.d/$2.conf"
  (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
  dpkg-deb --root-owner-group -b "$tree" "$serve/fleet-agent_${v}_amd64.deb" >/dev/null
  rm -rf "$tree"
}
broken_exit=$major.$minor.$((patch + 2))
broken_connect=$major.$minor.$((patch + 3))
broken_deb "$broken_exit" exit-at-start "/usr/bin/fleet-agent --no-such-flag"
broken_deb "$broken_connect" no-coordinator "/usr/bin/fleet-agent --coordinator https://127.0.0.1:9"

nsenter -t "$pid1" -n -- python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$serve" >"$work/http.log" 2>&1 &
http_pid=$!
serving() { nsenter -t "$pid1" -n -- bash -c "exec 3<>/dev/tcp/127.0.0.1/$http_port"; }
wait_for "the package server did not listen on 127.0.0.1:$http_port in the container: $(cat "$work/http.log")" 20 serving

catalog=$(
  echo "components:"
  echo "  fleet-agent:"
  echo "    kind: deb"
  echo "    versions:"
  for v in "$version" "$next" "$broken_exit" "$broken_connect"; do
    f=$serve/fleet-agent_${v}_amd64.deb
    echo "      \"$v\": { amd64: { url: \"http://127.0.0.1:$http_port/$(basename "$f")\", sha256: $(sha256sum "$f" | cut -c1-64) } }"
  done
)
out=$(c fleetctl catalog apply -f - <<<"$catalog" 2>&1) || fail "fleetctl catalog apply failed: $out"
say "serving fleet-agent $version, $next, $broken_exit (exits at start), $broken_connect (cannot connect) from the container's loopback"

# rolled_back_case VERSION WHAT REASON_PATTERN: an upgrade to a broken VERSION is undone by the watchdog.
rolled_back_case() {
  local v=$1 what=$2 pattern=$3 id state error took start=$SECONDS
  id=$(apply_upgrade "$v")
  finish "$id"
  state=$(node_field "$id" state)
  error=$(node_field "$id" error)
  took=$((SECONDS - start))
  [ "$state" = rolled-back ] || fail "upgrade to $v ($what): node state $state, expected rolled-back (error: $error; $(cat "$work/watch-$id.log" | tail -5))"
  grep -qE "$pattern" <<<"$error" || fail "upgrade to $v ($what): the reason does not match /$pattern/: $error"
  consistent "$version"
  say "upgrade to $v ($what): rolled back to $version in $took s, online on $version: $error"
}

rolled_back_case "$broken_exit" "exits at start" "rolled back to fleet-agent $version: .*exit status 2"
rolled_back_case "$broken_connect" "starts, cannot connect" "rolled back to fleet-agent $version: .*(active|running)"

# ---- N -> N+1: succeeds; config and identity kept ----
conf_sum=$(c sha256sum /etc/fleet/agent.json)
id_sum=$(c sha256sum /var/lib/fleet-agent/node.key /var/lib/fleet-agent/node.crt)
id=$(apply_upgrade "$next")
finish "$id"
[ "$(node_field "$id" state)" = succeeded ] || fail "upgrade to $next: node state $(node_field "$id" state): $(node_field "$id" error)"
consistent "$next"
[ "$(c sha256sum /etc/fleet/agent.json)" = "$conf_sum" ] || fail "the upgrade changed /etc/fleet/agent.json"
[ "$(c sha256sum /var/lib/fleet-agent/node.key /var/lib/fleet-agent/node.crt)" = "$id_sum" ] || fail "the upgrade changed the node's key or certificate"
[ "$(node_field "$id" fromVersion) → $(node_field "$id" toVersion)" = "$version → $next" ] || fail "rollout $id shows $(node_field "$id" fromVersion) → $(node_field "$id" toVersion), expected $version → $next"
c fleetctl nodes list | grep -qw "$next" || fail "fleetctl nodes list does not show agent $next: $(c fleetctl nodes list)"
say "upgrade to $next through Fleet: succeeded ($(c fleetctl rollout get "$id" -o json | python3 -c "import json,sys; print(json.load(sys.stdin)['nodes'][0]['steps'][0]['reason'])")); config and identity kept"

# ---- N+1 -> N with kill -9 of the agent during the installation ----
id=$(apply_upgrade "$version")
installing() { [ "$(c systemctl is-active fleet-agent-upgrade.service 2>/dev/null || true)" = active ]; }
wait_for "the upgrade watchdog (fleet-agent-upgrade.service) did not start: $(c journalctl -u fleet-agent --no-pager -n 10 2>&1)" 120 installing
# Aim for dpkg's run (a few hundred milliseconds): look for a dpkg process for up to 10 s, then kill
# the agent either way, and say which moment it hit (after dpkg, the watchdog is still waiting for the
# confirmation: the installation is not over).
dpkg_running() { c sh -c 'for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = dpkg ] && exit 0; done; exit 1'; }
moment="after dpkg had returned, while the watchdog waited for the confirmation"
for _ in $(seq 1 200); do
  if dpkg_running; then moment="while dpkg was running"; break; fi
  installing || break
  sleep 0.05
done
victim=$(c systemctl show -p MainPID --value fleet-agent)
c sh -c 'kill -KILL "$1"' sh "$victim" || true
say "killed the agent ($victim) $moment (fleet-agent-upgrade.service installing $version)"
finish "$id"
ended=$(installed_version)
case "$ended" in "$version" | "$next") ;; *) fail "after kill -9 during the installation, fleet-agent is \"$ended\"" ;; esac
consistent "$ended"
say "kill -9 during the installation: rollout $(node_field "$id" state), the node runs $ended (dpkg, coordinator and process agree)"
c journalctl -u fleet-agent-upgrade --no-pager -o cat | tail -3 | sed 's/^/test-packages:   watchdog: /'

# The package server stays up for test-packages-bare.sh; cleanup stops it (by its PID).
