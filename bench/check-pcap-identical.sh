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
# The other revision is extracted with `git archive` into a temporary directory (removed at the
# end) and run with this checkout's Node and node_modules.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
rev="${1:-main}"
shift || true
if ! git -C "$root" rev-parse --verify --quiet "$rev^{commit}" >/dev/null; then
  echo "check-pcap-identical: unknown git revision '$rev'" >&2
  exit 2
fi
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=("$root"/test/pcap/fixtures/*.pcap "$root"/test/pcap/fixtures/*.pcapng)
  for f in /tmp/sshwarden-bench/pcap-v*.pcap /tmp/sshwarden-bench/pcap-v*.pcapng; do
    [ -f "$f" ] && files+=("$f")
  done
fi
nodebin="$("$root/scripts/ensure-node.sh")"
tmp="$(mktemp -d /tmp/sshwarden-pcap-identical.XXXXXX)"
trap 'rm -rf -- "$tmp"' EXIT
mkdir "$tmp/other" "$tmp/out"
git -C "$root" archive "$rev" | tar -x -C "$tmp/other"
ln -s "$root/node_modules" "$tmp/other/node_modules"
run() { # checkout out args...
  local dir="$1" out="$2"
  shift 2
  local rc=0
  (cd "$dir" && NO_COLOR=1 "$nodebin/node" --disable-warning=ExperimentalWarning --max-semi-space-size=16 src/cli/main.ts pcap "$@") >"$out" 2>"$out.err" || rc=$?
  echo "exit $rc" >>"$out.err"
}
status=0
compare() { # label args...
  local label="$1"
  shift
  run "$tmp/other" "$tmp/out/before" "$@"
  run "$root" "$tmp/out/after" "$@"
  if cmp -s "$tmp/out/before" "$tmp/out/after" && cmp -s "$tmp/out/before.err" "$tmp/out/after.err"; then
    echo "identical  $label ($(wc -c <"$tmp/out/after") bytes)"
  else
    echo "DIFFERENT  $label"
    cmp "$tmp/out/before" "$tmp/out/after" | head -1 || true
    diff <(head -c 2000000 "$tmp/out/before" | tr ',' '\n') <(head -c 2000000 "$tmp/out/after" | tr ',' '\n') | head -10 || true
    diff "$tmp/out/before.err" "$tmp/out/after.err" | head -5 || true
    status=1
  fi
}
for f in "${files[@]}"; do
  if [ ! -f "$f" ]; then
    echo "check-pcap-identical: $f: no such file" >&2
    exit 2
  fi
  compare "$f (text)" "$f"
  compare "$f (--json)" "$f" --json
  log="${f%.*}.log"
  if [ -f "$log" ]; then
    compare "$f --log (text)" "$f" --log "$log"
    compare "$f --log (--json)" "$f" --log "$log" --json
  fi
done
exit $status
