#!/usr/bin/env bash
# Runs a TypeScript script of this checkout (a benchmark, a helper) with the pinned Node.js, the
# way ./sshwarden runs the CLI: `./scripts/run.sh bench/guard-reaction.ts 100`. Installs the
# pinned Node.js and the npm packages on first use (scripts/ensure-node.sh).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
[ $# -gt 0 ] || { echo "usage: scripts/run.sh FILE.ts [ARG…]" >&2; exit 2; }
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$root/.tools/compile-cache}" # before the install, as in ./sshwarden
nodebin="$("$root/scripts/ensure-node.sh")"
exec "$nodebin/node" --disable-warning=ExperimentalWarning "$@"
