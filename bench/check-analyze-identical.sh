#!/usr/bin/env bash
# Checks that a speed change left the answer alone: runs `sshwarden analyze --json` of this
# checkout and of another git revision (default: main) on the same logs and compares the JSON
# byte for byte. Exit 0 when every output is identical, 1 when one differs (the first
# difference is shown), 2 on a usage or setup error.
#
#   ./bench/check-analyze-identical.sh                      # samples/*.log + the cached bench logs (.log, .log.gz)
#   ./bench/check-analyze-identical.sh main /var/log/auth.log /var/log/auth.log.2.gz
#
# How: bench/identical-lib.sh.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=bench/identical-lib.sh
. "$root/bench/identical-lib.sh"
identical_setup check-analyze-identical "${1:-main}"
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=("$root"/samples/*.log)
  for f in /tmp/sshwarden-bench/auth-*-s42-iso-g*.log /tmp/sshwarden-bench/auth-*-s42-iso-g*.log.gz; do
    [ -f "$f" ] && files+=("$f")
  done
fi
for f in "${files[@]}"; do
  f="$(identical_file check-analyze-identical "$f")"
  identical_compare "$f (--json)" analyze --json "$f"
done
exit $status
