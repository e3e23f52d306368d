#!/usr/bin/env bash
# Runs the report benchmark (bench/report.ts) with the pinned Node.js; arguments are passed through,
# e.g. ./bench/report.sh --opens 5
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
nodebin="$("$root/scripts/ensure-node.sh")"
exec "$nodebin/node" --disable-warning=ExperimentalWarning "$root/bench/report.ts" "$@"
