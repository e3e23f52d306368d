#!/usr/bin/env bash
# Runs the whole sshwarden test suite: installs what it needs first (Debian packages when
# missing, the pinned Node.js and the npm packages), type-checks, then runs every test
# (unit, property-based, and the lab tests that drive a real sshd, real ssh clients and real
# nftables inside network namespaces the tests create). Needs root for the namespaces.
#   ./test.sh                 everything
#   ./test.sh test/framing    only the tests under a folder (or single files, or globs)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$root"

if [ "$(id -u)" != 0 ]; then
  echo "test.sh: run as root (sudo ./test.sh): the lab tests create network namespaces and the first run installs Debian packages" >&2
  exit 1
fi

# What the test run installs (only when missing, nothing upgraded; their services left
# disabled at boot; see scripts/install-test-deps.sh). syslog-ng-core is only unpacked into
# /var/cache/sshwarden-test (it conflicts with rsyslog), with its libraries installed.
debs=(openssh-server openssh-client rsyslog nftables iproute2 ipset iptables fail2ban sshguard ssh-audit nginx-light procps iputils-ping netcat-openbsd curl python3-paramiko systemd-journal-remote openssl syslog-ng-core libivykis0 libnet1 libpcre3 busybox xz-utils zstd debootstrap systemd-container postgresql tcpdump tshark chromium)
# SSHWARDEN_TEST_EXTRA_DEBS: more packages for this run (test/install uses it to check the install phase).
read -r -a extra <<< "${SSHWARDEN_TEST_EXTRA_DEBS:-}"
"$root/scripts/install-test-deps.sh" "${debs[@]}" "${extra[@]}"

# Node's compile cache (npm, tsc and ./sshwarden turn it on) in the checkout, as ./sshwarden has it: by
# default it is $TMPDIR/node-compile-cache, which would outlive the run.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$root/.tools/compile-cache}"
nodebin="$("$root/scripts/ensure-node.sh")"
export PATH="$nodebin:$PATH"
echo "test.sh: node $(node --version), type-checking" >&2
node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
targets=()
for t in "$@"; do
  # node --test takes files and globs, not folders: a folder means every test file under it.
  if [ -d "$t" ]; then targets+=("${t%/}/**/*.test.ts"); else targets+=("$t"); fi
done
[ ${#targets[@]} -gt 0 ] || targets=('test/**/*.test.ts')
# node runs as a child (no exec): its exit status is this script's.
status=0
node --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=600000 "${targets[@]}" || status=$?
exit "$status"
