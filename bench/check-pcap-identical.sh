#!/usr/bin/env bash
# Checks that a speed change left the answer of `sshwarden pcap` alone: runs this checkout and
# another git revision (default: main) on the same captures, text and --json (and --log for the
# fixture that has a log), and compares stdout, stderr and the exit code byte for byte. Exit 0 when
# every output is identical, 1 when one differs (the first difference is shown), 2 on a usage or
# setup error.
#
#   ./bench/check-pcap-identical.sh                     # test/pcap/fixtures/*.pcap* + the cached bench captures
#   ./bench/check-pcap-identical.sh main my.pcap other.pcapng
#
# How: bench/identical-lib.sh.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=bench/identical-lib.sh
. "$root/bench/identical-lib.sh"
identical_setup check-pcap-identical "${1:-main}"
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=("$root"/test/pcap/fixtures/*.pcap "$root"/test/pcap/fixtures/*.pcapng)
  for f in /tmp/sshwarden-bench/pcap-v*.pcap /tmp/sshwarden-bench/pcap-v*.pcapng; do
    [ -f "$f" ] && files+=("$f")
  done
fi
for f in "${files[@]}"; do
  f="$(identical_file check-pcap-identical "$f")"
  identical_compare "$f (text)" pcap "$f"
  identical_compare "$f (--json)" pcap "$f" --json
  log="${f%.*}.log"
  if [ -f "$log" ]; then
    identical_compare "$f --log (text)" pcap "$f" --log "$log"
    identical_compare "$f --log (--json)" pcap "$f" --log "$log" --json
  fi
done
exit $status
