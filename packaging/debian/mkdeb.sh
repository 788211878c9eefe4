#!/usr/bin/env bash
# Assembles one .deb from published binaries (called by packaging/build.sh):
#   mkdeb.sh agent ARCH VERSION PUBLISH_DIR OUT_DIR
#   mkdeb.sh agent-portable ARCH VERSION PUBLISH_DIR OUT_DIR   (the framework-dependent agent of
#                                      publish.sh agent portable, with a launcher: fleet-agent-portable/)
#   mkdeb.sh coordinator ARCH VERSION COORDINATOR_DIR OUT_DIR FLEETCTL_DIR
# The tree is laid out like a debhelper build: units in /lib/systemd/system, conffiles, md5sums,
# changelog.Debian.gz and copyright, maintainer scripts in debhelper's style.
set -euo pipefail
trap 'echo "mkdeb.sh: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR
kind=$1 arch=$2 version=$3 publish=$4 out=$5 ctl=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
packaging=$(dirname "$here")
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$packaging" log -1 --format=%ct 2>/dev/null || date +%s)}

case "$kind" in
  agent | agent-portable) package=fleet-agent ;;
  coordinator) package=fleet-coordinator ;;
  *) echo "mkdeb.sh: unknown package kind $kind" >&2; exit 2 ;;
esac
case "$arch" in
  amd64) elf="x86-64" ;;
  arm64) elf="ARM aarch64" ;;
  armhf) elf="ARM, EABI5" ;;
  *) echo "mkdeb.sh: unknown architecture $arch" >&2; exit 2 ;;
esac

root=$(mktemp -d "${TMPDIR:-/tmp}/fleet-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
install -d -m 0755 "$root/DEBIAN" "$root/lib/systemd/system" "$root/usr/share/doc/$package" "$root/usr/share/man/man1" "$root/usr/bin"

# Shell completion for PROGRAM from FOLDER/completion/ (PROGRAM.bash, _PROGRAM, PROGRAM.fish), where
# bash-completion, zsh and fish look for vendors' scripts. Generated from the command tree
# (PROGRAM completion SHELL); the tests of each program fail when a copy drifts.
install_completion() {
  local program=$1 folder=$2
  install -D -m 0644 "$folder/completion/$program.bash" "$root/usr/share/bash-completion/completions/$program"
  install -D -m 0644 "$folder/completion/_$program" "$root/usr/share/zsh/vendor-completions/_$program"
  install -D -m 0644 "$folder/completion/$program.fish" "$root/usr/share/fish/vendor_completions.d/$program.fish"
}

# Every packaged executable must be of the package's architecture.
check_elf() {
  file -b "$1" | grep -q "$elf" || { echo "mkdeb.sh: $1 is not a $arch ($elf) ELF file: $(file -b "$1")" >&2; exit 1; }
}

# with_find_dotnet FILE: FILE with the portable agent's runtime look-up where "# @FIND_DOTNET@" stands.
with_find_dotnet() {
  grep -q '^# @FIND_DOTNET@$' "$1" || { echo "mkdeb.sh: $1 has no # @FIND_DOTNET@ line" >&2; exit 1; }
  sed -e "/^# @FIND_DOTNET@\$/{r $here/fleet-agent-portable/find-dotnet.sh" -e 'd}' "$1"
}

if [ "$kind" = agent ] || [ "$kind" = agent-portable ]; then
  if [ "$kind" = agent ]; then
    check_elf "$publish/fleet-agent"
    install -m 0755 "$publish/fleet-agent" "$root/usr/bin/fleet-agent"
  else
    # IL only: a native file here would tie the package to one architecture without saying so.
    [ -f "$publish/fleet-agent.dll" ] && [ -f "$publish/fleet-agent.runtimeconfig.json" ] \
      || { echo "mkdeb.sh: $publish is not a framework-dependent fleet-agent (no fleet-agent.dll and runtimeconfig)" >&2; exit 1; }
    native=$(find "$publish" -type f -exec file -b {} + | grep -c '^ELF' || true)
    [ "$native" = 0 ] || { echo "mkdeb.sh: $publish holds $native ELF files: not a portable build" >&2; exit 1; }
    lib=$root/usr/lib/fleet-agent
    install -d -m 0755 "$lib"
    cp -a "$publish/." "$lib/"
    rm -f "$lib/.complete"
    find "$lib" -type d -exec chmod 0755 {} + && find "$lib" -type f -exec chmod 0644 {} +
    with_find_dotnet "$here/fleet-agent-portable/launcher" >"$root/usr/bin/fleet-agent"
    chmod 0755 "$root/usr/bin/fleet-agent"
    install -m 0644 "$here/fleet-agent-portable/README.Debian" "$root/usr/share/doc/$package/README.Debian"
  fi
  # The local upgrade watchdog (docs/agent-upgrades.md): the agent copies it into its state folder
  # and runs the copy as the transient unit fleet-agent-upgrade.service.
  install -D -m 0755 "$here/fleet-agent/fleet-agent-upgrade" "$root/usr/lib/fleet-agent/fleet-agent-upgrade"
  install -d -m 0755 "$root/etc/fleet"
  install -m 0644 "$here/fleet-agent/agent.json" "$root/etc/fleet/agent.json"
  install -m 0644 "$packaging/systemd/fleet-agent.service" "$root/lib/systemd/system/"
  # Generated from the command tree (fleet-agent man); Fleet.Agent.Tests fails when it drifts.
  gzip -9n <"$here/fleet-agent/fleet-agent.1" >"$root/usr/share/man/man1/fleet-agent.1.gz"
  install_completion fleet-agent "$here/fleet-agent"

  if [ "$kind" = agent-portable ]; then
    # What the .NET runtime itself loads (its TLS through OpenSSL); the runtime is not a Debian
    # package on armhf: the preinst checks for it (README.Debian).
    depends="libc6 (>= 2.34), libgcc-s1, libstdc++6, libssl3 | libssl1.1"
  elif [ "$arch" = armhf ]; then
    # Self-contained (not AOT): the .NET runtime needs the C++ runtime too.
    depends="libc6 (>= 2.34), libgcc-s1, libstdc++6, libssl3 | libssl1.1"
  else
    depends="libc6 (>= 2.34), libssl3 | libssl1.1, zlib1g (>= 1:1.2.0)"
  fi
  description="Fleet node agent: reports the node and runs the coordinator's steps
 fleet-agent runs on every node of a Fleet-managed Kubernetes cluster as a
 systemd service. It reports what the node is (architecture, board, OS,
 kernel, kubelet and kubeadm versions, CNI plugins) and how healthy it is, and
 executes the concrete steps the Fleet coordinator streams to it over gRPC with
 mutual TLS: verified downloads, CNI plugin installation, kubeadm.
 .
 Settings are in /etc/fleet/agent.json; enroll the node once with
 \`fleet-agent enroll\`, then the service starts."
  if [ "$kind" = agent-portable ]; then
    description="$description
 .
 This is the portable build: framework-dependent .NET IL in
 /usr/lib/fleet-agent, started by /usr/bin/fleet-agent with the node's
 \`dotnet\`. It needs the .NET 10 runtime (Microsoft.NETCore.App 10.x),
 which this package does not bring: the installation stops with a message
 when none is found (README.Debian says where it is looked for)."
  fi
else
  check_elf "$publish/fleet-coordinator"
  check_elf "$ctl/fleetctl"
  lib=$root/usr/lib/fleet-coordinator
  install -d -m 0755 "$lib"
  cp -a "$publish/." "$lib/"
  rm -f "$lib/.complete"
  find "$lib" -type f -exec chmod 0644 {} + && chmod 0755 "$lib/fleet-coordinator"
  # Native libraries of NuGet packages (SQLite) come with symbols; the runtime's are stripped already.
  case "$arch" in amd64) strip=strip ;; arm64) strip=aarch64-linux-gnu-strip ;; esac
  find "$lib" -name '*.so' -exec "$strip" --strip-unneeded --remove-section=.comment --remove-section=.note {} +
  # fleetctl is one Native AOT file of its own (no runtime shared with the coordinator).
  install -m 0755 "$ctl/fleetctl" "$root/usr/bin/fleetctl"
  install -d -m 0755 "$root/etc/default" "$root/usr/lib/sysusers.d"
  install -m 0644 "$here/fleet-coordinator/default" "$root/etc/default/fleet-coordinator"
  install -m 0644 "$here/fleet-coordinator/sysusers.conf" "$root/usr/lib/sysusers.d/fleet-coordinator.conf"
  install -m 0644 "$packaging/systemd/fleet-coordinator.service" "$root/lib/systemd/system/"
  gzip -9n <"$here/fleet-coordinator/fleetctl.1" >"$root/usr/share/man/man1/fleetctl.1.gz"
  gzip -9n <"$here/fleet-coordinator/fleet-coordinator.1" >"$root/usr/share/man/man1/fleet-coordinator.1.gz"
  # Generated from the command trees (fleetctl man, fleet-coordinator man, PROGRAM completion SHELL);
  # Fleet.Ctl.Tests and Fleet.Coordinator.Tests fail when they drift.
  install_completion fleetctl "$here/fleet-coordinator"
  install_completion fleet-coordinator "$here/fleet-coordinator"
  install -D -m 0644 "$here/fleet-coordinator/lintian-overrides" "$root/usr/share/lintian/overrides/fleet-coordinator"
  depends="libc6 (>= 2.34), libgcc-s1, libstdc++6, libssl3 | libssl1.1, zlib1g (>= 1:1.2.0), systemd | systemd-standalone-sysusers"
  description="Fleet coordinator and fleetctl
 fleet-coordinator is the central service of Fleet, which provisions and
 upgrades small multi-architecture Kubernetes clusters: it holds the node
 registry, the per-architecture artifact catalog and the certificate
 authority, enrolls nodes with join tokens and streams steps to their agents
 over gRPC with mutual TLS. fleetctl, the operator CLI, talks to it over the
 control socket /run/fleet/control.sock (root and the fleet group)."
fi

install -m 0644 "$here/copyright" "$root/usr/share/doc/$package/copyright"
{
  echo "$package ($version) unstable; urgency=medium"
  echo
  echo "  * Fleet $version (VersionPrefix in Directory.Build.props)."
  echo
  echo " -- Fleet <fleet@example.org>  $(date -u -R -d "@$epoch")"
} | gzip -9n >"$root/usr/share/doc/$package/changelog.gz" # a native package: changelog.gz

for script in postinst prerm postrm; do
  install -m 0755 "$here/$package/$script" "$root/DEBIAN/$script"
done
if [ "$kind" = agent-portable ]; then
  with_find_dotnet "$here/fleet-agent-portable/preinst" >"$root/DEBIAN/preinst"
  chmod 0755 "$root/DEBIAN/preinst"
fi
install -m 0644 "$here/$package/conffiles" "$root/DEBIAN/conffiles"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
cat >"$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: Fleet <fleet@example.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: admin
Priority: optional
Description: $description
CONTROL

find "$root" -exec touch -h -d "@$epoch" {} +
deb=$out/${package}_${version}_${arch}.deb
# xz -3 for the coordinator's 110 MB: a tenth larger than -6, at less than half the time.
level=6
[ "$kind" = coordinator ] && level=3
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz -z"$level" --build "$root" "$deb" >/dev/null
echo "mkdeb.sh: $deb ($(stat -c %s "$deb") bytes)" >&2
