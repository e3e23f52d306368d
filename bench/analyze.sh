#!/usr/bin/env bash
# Runs the analyze speed benchmark (bench/analyze.ts) with the pinned Node.js; arguments are
# passed through, e.g. ./bench/analyze.sh --runs 5 --profile
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
nodebin="$("$root/scripts/ensure-node.sh")"
exec "$nodebin/node" --disable-warning=ExperimentalWarning "$root/bench/analyze.ts" "$@"
