# Sourced by packaging/test-packages.sh after the agent package was purged: an agent installed without
# the package (side-by-side versions under /opt/fleet-agent, an atomic switch of /opt/fleet-agent/current;
# docs/agent-upgrades.md, "Agents installed without the package") upgrades itself through Fleet.
#
# Binaries, served by the package server of test-packages-upgrade.sh as the catalog's fleet-agent-binary:
#   N   ($version)          the published Native AOT agent of this version
#   N+1 ($next)             the real rebuild at the next patch version
#   N+2 ($broken_exit)      an ELF executable of the node's machine that exits 1 at start (the container's /bin/false)
#   N+3 ($broken_connect)   the N+1 build served as N+3: it starts and connects but reports N+1, never N+3
# Cases: N -> N+2 and N -> N+3 switched back to N within the deadline (node rolled-back, online on N);
# N -> N+1 succeeds. After each, the current link, the running process's file and the version the
# coordinator has from the agent agree.
# Uses c, wait_for, fail, say, agent_status, apply_upgrade, finish, node_field, reported_version and the
# package server (serve, http_port) of the earlier parts.

bare=/opt/fleet-agent
node=node-2
agent_publish=$(ls -td "$repo"/.cache/packaging/agent-linux-x64-"$version"-*/ 2>/dev/null | head -1)
[ -n "$agent_publish" ] && [ -f "$agent_publish/fleet-agent" ] || fail "no published linux-x64 agent $version in .cache/packaging"
next_publish=$(ls -td "$repo"/.cache/packaging/agent-linux-x64-"$next"-*/ 2>/dev/null | head -1)
[ -n "$next_publish" ] && [ -f "$next_publish/fleet-agent" ] || fail "no published linux-x64 agent $next in .cache/packaging"

# bare_consistent WANT: the link, the running process and the coordinator all say WANT.
bare_consistent() {
  local want=$1 pid exe link
  link=$(c readlink "$bare/current")
  [ "$link" = "versions/$want" ] || fail "$bare/current points at \"$link\", expected versions/$want"
  pid=$(c systemctl show -p MainPID --value fleet-agent)
  [ "$pid" != 0 ] || fail "fleet-agent has no main process: $(agent_status)"
  exe=$(c readlink "/proc/$pid/exe")
  [ "$exe" = "$bare/versions/$want/fleet-agent" ] || fail "the running agent ($pid) runs $exe, not $bare/versions/$want/fleet-agent"
  [[ "$(c "$bare/current/fleet-agent" --version)" == "$want"* ]] || fail "$bare/current/fleet-agent --version says $(c "$bare/current/fleet-agent" --version), expected $want"
  wait_for "the coordinator does not list $node with agent $want (it has $(reported_version 2>&1))" 30 reports "$want"
}

# ---- install side by side, enroll as node-2 ----
install -d -m 0755 "$root$bare/versions/$version"
install -m 0755 "$agent_publish/fleet-agent" "$root$bare/versions/$version/fleet-agent"
ln -s "versions/$version" "$root$bare/current"
sed "s|^ExecStart=.*|ExecStart=$bare/current/fleet-agent|" "$repo/packaging/systemd/fleet-agent.service" >"$root/etc/systemd/system/fleet-agent.service"
install -d -m 0755 "$root/etc/fleet"
printf '{\n  "coordinator": "https://127.0.0.1:7443",\n  "name": "%s"\n}\n' "$node" >"$root/etc/fleet/agent.json"
chmod 0600 "$root/etc/fleet/agent.json"
c systemctl daemon-reload
c systemctl enable fleet-agent >/dev/null 2>&1 || fail "systemctl enable of the side-by-side unit failed"
token_out=$(c fleetctl token create) || fail "fleetctl token create failed: $token_out"
token=$(awk '$1 == "token:" { print $2 }' <<<"$token_out")
c "$bare/current/fleet-agent" enroll --token - --ca-pin "$pin" <<<"$token" >"$work/enroll-bare.log" 2>&1 || { cat "$work/enroll-bare.log" >&2; fail "enroll of the side-by-side agent failed (above)"; }
c systemctl start fleet-agent || fail "systemctl start of the side-by-side agent failed: $(agent_status)"
wait_for "the side-by-side agent is not connected as $node: $(agent_status)" 30 connected
install_kind() { c fleetctl nodes get "$node" -o json | python3 -c "import json,sys; print(json.load(sys.stdin).get('agentInstall', ''))"; }
[ "$(install_kind)" = binary ] || fail "the coordinator has install kind \"$(install_kind)\" for $node, expected binary"
say "side-by-side agent $version in $bare/versions/$version ($bare/current), enrolled and connected as $node (install: binary)"

# ---- the catalog's fleet-agent-binary ----
cp "$agent_publish/fleet-agent" "$serve/fleet-agent-binary_${version}_amd64"
cp "$next_publish/fleet-agent" "$serve/fleet-agent-binary_${next}_amd64"
cp "$root/bin/false" "$serve/fleet-agent-binary_${broken_exit}_amd64"   # the container's own: its libc
cp "$next_publish/fleet-agent" "$serve/fleet-agent-binary_${broken_connect}_amd64"
catalog_bare=$(
  echo "$catalog"
  echo "  fleet-agent-binary:"
  echo "    kind: binary"
  echo "    versions:"
  for v in "$version" "$next" "$broken_exit" "$broken_connect"; do
    f=$serve/fleet-agent-binary_${v}_amd64
    echo "      \"$v\": { amd64: { url: \"http://127.0.0.1:$http_port/$(basename "$f")\", sha256: $(sha256sum "$f" | cut -c1-64) } }"
  done
)
out=$(c fleetctl catalog apply -f - <<<"$catalog_bare" 2>&1) || fail "fleetctl catalog apply (fleet-agent-binary) failed: $out"

# bare_rolled_back VERSION WHAT PATTERN: an upgrade to a broken VERSION is switched back by the watchdog.
bare_rolled_back() {
  local v=$1 what=$2 pattern=$3 id state error start=$SECONDS
  id=$(apply_upgrade "$v")
  finish "$id"
  state=$(node_field "$id" state)
  error=$(node_field "$id" error)
  [ "$state" = rolled-back ] || fail "side by side, upgrade to $v ($what): node state $state, expected rolled-back (error: $error)"
  grep -qE "$pattern" <<<"$error" || fail "side by side, upgrade to $v ($what): the reason does not match /$pattern/: $error"
  bare_consistent "$version"
  say "side by side, upgrade to $v ($what): switched back to $version in $((SECONDS - start)) s: $error"
}
bare_rolled_back "$broken_exit" "exits at start" "rolled back to fleet-agent $version: .*exit status 1"
bare_rolled_back "$broken_connect" "reports another version" "rolled back to fleet-agent $version: .*did not connect and report its version"

id=$(apply_upgrade "$next")
finish "$id"
[ "$(node_field "$id" state)" = succeeded ] || fail "side by side, upgrade to $next: node state $(node_field "$id" state): $(node_field "$id" error)"
bare_consistent "$next"
c test ! -e "$bare/versions/$broken_exit" || fail "$bare/versions/$broken_exit is still there after the confirmed upgrade"
say "side by side, upgrade to $next: succeeded; $bare/current -> versions/$next; versions kept: $(c ls "$bare/versions" | tr '\n' ' ')"

# ---- clean up: the side-by-side agent and its node ----
c systemctl disable --now fleet-agent >/dev/null 2>&1 || true
c fleetctl nodes remove "$node" >/dev/null || fail "fleetctl nodes remove $node failed"
rm -rf "$root$bare" "$root/etc/systemd/system/fleet-agent.service" "$root/etc/fleet/agent.json" "$root/var/lib/fleet-agent"
c systemctl daemon-reload
