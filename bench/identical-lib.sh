# Shared by bench/check-*-identical.sh (sourced, not run): runs a command of this checkout and of
# another git revision on the same inputs and compares stdout, stderr and the exit code byte for
# byte. The other revision is extracted with `git archive` into a temporary directory (removed at
# the end) and run with this checkout's Node and node_modules.
#
#   identical_setup NAME REV     # checks REV, extracts it; sets $tmp, $nodebin, status=0
#   identical_compare LABEL ARGS…   # `sshwarden ARGS…` in both; prints identical/DIFFERENT, sets status=1 on a difference
#   identical_file NAME FILE     # FILE as an absolute path (both run in their own directory), or exit 2

identical_setup() {
  identical_name="$1"
  local rev="$2"
  if ! git -C "$root" rev-parse --verify --quiet "$rev^{commit}" >/dev/null; then
    echo "$identical_name: unknown git revision '$rev'" >&2
    exit 2
  fi
  nodebin="$("$root/scripts/ensure-node.sh")"
  tmp="$(mktemp -d /tmp/sshwarden-identical.XXXXXX)"
  trap 'rm -rf -- "$tmp"' EXIT
  mkdir "$tmp/other" "$tmp/out"
  git -C "$root" archive "$rev" | tar -x -C "$tmp/other"
  ln -s "$root/node_modules" "$tmp/other/node_modules"
  status=0
}

identical_file() {
  if [ ! -f "$2" ]; then
    echo "$1: $2: no such file" >&2
    exit 2
  fi
  readlink -f -- "$2"
}

identical_run() { # checkout out args…
  local dir="$1" out="$2"
  shift 2
  local rc=0
  (cd "$dir" && NO_COLOR=1 "$nodebin/node" --disable-warning=ExperimentalWarning --max-semi-space-size=8 src/cli/main.ts "$@") >"$out" 2>"$out.err" || rc=$?
  echo "exit $rc" >>"$out.err"
}

identical_compare() { # label args…
  local label="$1"
  shift
  identical_run "$tmp/other" "$tmp/out/before" "$@"
  identical_run "$root" "$tmp/out/after" "$@"
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
