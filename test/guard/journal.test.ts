/**
 * The journald source for real: a private systemd-journald in a private mount namespace (its
 * sockets and journal on tmpfs mounts that only this namespace sees; the host's /run is
 * untouched), messages written with systemd-cat, followed with `journalctl -f -o json`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HARNESS = fileURLToPath(new URL('./journal-harness.ts', import.meta.url));
const JOURNALD = '/lib/systemd/systemd-journald';

test('journald follower: live, identifiers filtered, resume after the cursor; daemon ignores records not from sshd', () => {
  assert.ok(existsSync(JOURNALD), `${JOURNALD} missing (Debian package systemd)`);
  const script = `set -e
mkdir -p /run/systemd /run/log
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
mkdir -p /run/systemd/journal
${JOURNALD} &
JPID=$!
for i in $(seq 1 50); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done
"$1" --disable-warning=ExperimentalWarning "$2"
kill $JPID`;
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script, 'journal-test', process.execPath, HARNESS], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `harness failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { live: boolean; latencyMs: number; messages: string[]; resumed: string[]; daemonBan: boolean; daemonReason: string };
  assert.equal(out.live, true);
  assert.deepEqual(out.messages, ['Connection closed by 203.0.113.5 port 4242 [preauth]', 'Failed password for root from 203.0.113.6 port 22 ssh2']);
  assert.ok(out.latencyMs < 2000, `latency ${out.latencyMs}`);
  assert.deepEqual(out.resumed, ['Connection closed by 203.0.113.7 port 4243 [preauth]'], 'resume after the cursor: nothing lost, nothing repeated');
  // systemd-cat's records carry _COMM=systemd-cat: not sshd, so not trusted (the daemon banning
  // from a real sshd's journal records is test/faults/journal-trust.test.ts).
  assert.equal(out.daemonBan, false, 'a flood written with systemd-cat -t sshd is not trusted');
});
