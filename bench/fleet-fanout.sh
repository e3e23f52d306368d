#!/usr/bin/env bash
# Fleet fan-out benchmark (see bench/fleet-fanout.ts); runs with the pinned Node.js.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nodebin="$("$root/scripts/ensure-node.sh")"
exec "$nodebin/node" --disable-warning=ExperimentalWarning "$root/bench/fleet-fanout.ts" "$@"
