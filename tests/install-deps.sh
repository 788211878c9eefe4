#!/usr/bin/env bash
# Installs, as root, the Debian packages Fleet's tests use. Idempotent: a package already present
# is not downloaded again. The .NET SDK itself comes with the machine.
set -euo pipefail
packages=(
  file      # packaging/debian/mkdeb.sh checks the packaged files' machine (test.sh packages the portable agent)
  procps    # ps: demo.sh and the benchmarks read the processes' RSS
  qemu-user # qemu-aarch64, qemu-arm: run arm64/armhf binaries with the sysroot (tests/fixtures)
  binutils  # readelf: make-sysroot.sh checks the test plugin's dynamic loader
  python3   # make-artifacts.sh writes the hostile tar archives with tarfile
  openssl   # CaCertHashTests compute the kubeadm discovery hash independently
  python3-kubernetes # the official Python client, run against the Kubernetes API double (PythonClientAgainstDoubleTests)
  prometheus # a real Prometheus 2.42 started by the tests on loopback (prometheus gates), and promtool (check metrics of the scraped /metrics page)
  etcd-server # a real etcd 3.4 started by the tests on loopback with TLS client certificates (the etcd-snapshot step; tests/Fleet.Testing/Etcd)
  etcd-client # etcdctl 3.4: snapshot save/status (run by the agent) and snapshot restore (by the tests)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq || echo "install-deps: apt-get update reported errors (a mirror index may be mid-sync); trying the install anyway"
  # etcd-server's maintainer scripts would start a system etcd on 127.0.0.1:2379 that no test started: a policy-rc.d
  # that denies every start keeps them from it (invoke-rc.d and deb-systemd-invoke both ask it). One that is already
  # there (a container's) is left as it is.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# tests/install-deps.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
  [ "$status" -eq 0 ] || exit "$status"
  # Installed just now for the tests, which start their own etcd on free ports: its unit is not enabled for boot
  # either (where systemd runs). An etcd that was installed before is not touched.
  if [[ " ${missing[*]} " == *" etcd-server "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable etcd.service >/dev/null 2>&1 || true
  fi
fi

# The Native AOT toolchain: the emulated arm64 test runs the agent as the arm64 package ships it.
"$(dirname "${BASH_SOURCE[0]}")/../packaging/install-deps.sh" --aot

# Debian's kubectl (package kubernetes-client, 1.20.2), a real client of the Kubernetes API double
# (KubectlAgainstDoubleTests): make-artifacts.sh below unpacks it from the package into
# .cache/artifacts/kubectl/ARCH/kubectl and checks its version. It is not installed into /usr/bin: on
# these machines /usr/bin/kubectl belongs to another package, which dpkg refuses to overwrite, and the
# tests must run Debian's 1.20.2, not whatever kubectl is on the PATH.

# Test fixtures from Debian's own packages, cached under .cache/ (first run about 50 s and 66 MB of
# downloads, as it adds the arm64/armhf dpkg architectures; then about 3 s): multi-arch CNI plugin
# tarballs, kubectl and hostile archives; an arm64/armhf sysroot for qemu.
here=$(dirname "${BASH_SOURCE[0]}")
"$here/fixtures/make-artifacts.sh"
"$here/fixtures/make-sysroot.sh"
