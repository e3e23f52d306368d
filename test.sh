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

debs=(openssh-server openssh-client rsyslog nftables iproute2 ipset iptables fail2ban sshguard ssh-audit nginx-light procps iputils-ping netcat-openbsd curl python3-paramiko systemd-journal-remote openssl chromium)
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the packages' own services (ssh, fail2ban, nginx, rsyslog) from starting.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.sshwarden
  [ -e /usr/sbin/policy-rc.d ] || { cp /usr/sbin/policy-rc.d.sshwarden /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; }
  rm -f /usr/sbin/policy-rc.d.sshwarden
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

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
exec node --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=600000 "${targets[@]}"
