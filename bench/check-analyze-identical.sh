#!/usr/bin/env bash
# Checks that a speed change left the answer alone: runs `sshwarden analyze --json` of this
# checkout and of another git revision (default: main) on the same logs and compares the JSON
# byte for byte. Exit 0 when every output is identical, 1 when one differs (the first
# difference is shown), 2 on a usage or setup error.
#
#   ./bench/check-analyze-identical.sh                      # samples/*.log + the cached bench logs (.log, .log.gz)
#   ./bench/check-analyze-identical.sh main /var/log/auth.log /var/log/auth.log.2.gz
#
# The other revision is extracted with `git archive` into a temporary directory (removed at the
# end) and run with this checkout's Node and node_modules.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
rev="${1:-main}"
shift || true
if ! git -C "$root" rev-parse --verify --quiet "$rev^{commit}" >/dev/null; then
  echo "check-analyze-identical: unknown git revision '$rev'" >&2
  exit 2
fi
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=("$root"/samples/*.log)
  for f in /tmp/sshwarden-bench/auth-*-s42-iso-g*.log /tmp/sshwarden-bench/auth-*-s42-iso-g*.log.gz; do
    [ -f "$f" ] && files+=("$f")
  done
fi
nodebin="$("$root/scripts/ensure-node.sh")"
tmp="$(mktemp -d /tmp/sshwarden-identical.XXXXXX)"
trap 'rm -rf -- "$tmp"' EXIT
mkdir "$tmp/other" "$tmp/out"
git -C "$root" archive "$rev" | tar -x -C "$tmp/other"
ln -s "$root/node_modules" "$tmp/other/node_modules"
run() { # checkout file out
  "$nodebin/node" --disable-warning=ExperimentalWarning --max-semi-space-size=16 "$1/src/cli/main.ts" analyze --json "$2" >"$3" 2>"$3.err" || true
}
status=0
for f in "${files[@]}"; do
  if [ ! -f "$f" ]; then
    echo "check-analyze-identical: $f: no such file" >&2
    exit 2
  fi
  run "$tmp/other" "$f" "$tmp/out/before.json"
  run "$root" "$f" "$tmp/out/after.json"
  if cmp -s "$tmp/out/before.json" "$tmp/out/after.json" && cmp -s "$tmp/out/before.json.err" "$tmp/out/after.json.err"; then
    echo "identical  $f ($(wc -c <"$tmp/out/after.json") bytes of JSON)"
  else
    echo "DIFFERENT  $f"
    cmp "$tmp/out/before.json" "$tmp/out/after.json" | head -1 || true
    diff <(head -c 2000000 "$tmp/out/before.json" | tr ',' '\n') <(head -c 2000000 "$tmp/out/after.json" | tr ',' '\n') | head -10 || true
    diff "$tmp/out/before.json.err" "$tmp/out/after.json.err" | head -5 || true
    status=1
  fi
done
exit $status
