/**
 * doctor's exit codes and option checks through the real CLI (--offline, so nothing of this host is
 * looked at): 3 only for an input the user gave that could not be read, in full or in part; a
 * window that ends before it starts, or a date that does not exist, is a usage error (2); a config
 * alone is checked offline. And without a config, drops are not guessed to be per-source.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let log = '';
let config = '';

function doctor(args: string[]) {
  const r = spawnSync('./sshwarden', ['doctor', '--offline', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sw-doctor-cli-'));
  log = join(dir, 'auth.log');
  writeFileSync(log, [
    'Dec  5 10:00:01 host sshd[123]: Connection closed by 203.0.113.5 port 5555 [preauth]',
    'Dec  5 10:00:06 host sshd[128]: error: kex_exchange_identification: Connection closed by remote host',
    'Dec  5 10:00:07 host sshd[129]: Connection closed by 203.0.113.8 port 6001 [preauth]',
    '',
  ].join('\n'));
  config = join(dir, 'sshd_config');
  writeFileSync(config, 'Port 22\nLogLevel VERBOSE\n');
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('--offline --log without --config: nothing needs action, exit 0 (the config was not asked for)', () => {
  const r = doctor(['--log', log]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /scanners_only/);
  const j = JSON.parse(doctor(['--log', log, '--json']).stdout);
  assert.equal(j.inputFailed, false);
});

test('a missing log beside a readable one, or a missing capture: exit 3 and said in the verdict', () => {
  const missing = doctor(['--log', log, '--log', join(dir, 'nonexistent.log'), '--config', config]);
  assert.equal(missing.status, 3, missing.stdout + missing.stderr);
  assert.match(missing.stdout, /part of the logs could not be read/);
  assert.match(missing.stdout, /nonexistent\.log/);
  const pcap = doctor(['--log', log, '--config', config, '--pcap', join(dir, 'none.pcap')]);
  assert.equal(pcap.status, 3, pcap.stdout + pcap.stderr);
  assert.match(pcap.stdout, /the capture could not be read/);
});

test('a config alone is checked offline; --offline with nothing to read is a usage error', () => {
  const r = doctor(['--config', config]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /sshd -t accepts it|checked: config/);
  const none = doctor([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--offline needs something to read/);
});

test('--since after --until, or a date that does not exist: one line, exit 2', () => {
  const order = doctor(['--log', log, '--since', '2026-12-05 10:00', '--until', '2026-12-04 10:00']);
  assert.equal(order.status, 2);
  assert.match(order.stderr, /--since .* must be before --until/);
  assert.equal(order.stderr.trim().split('\n').length, 1);
  const feb30 = doctor(['--log', log, '--since', '2026-02-30 10:00']);
  assert.equal(feb30.status, 2);
  assert.match(feb30.stderr, /--since: "2026-02-30 10:00" is not a time/);
});

test('without a config, MaxStartups drops of a user are MaxStartups, not a guessed PerSourceMaxStartups (samples/auth-verbose.log, MaxStartups 2:100:2)', () => {
  const r = doctor(['--log', 'samples/auth-verbose.log', '--json']);
  const j = JSON.parse(r.stdout);
  const ids = j.causes.map((c: { id: string }) => c.id);
  assert.ok(ids.includes('maxstartups'), ids.join(','));
  assert.ok(!ids.includes('per_source_maxstartups'), ids.join(','));
  const ms = j.causes.find((c: { id: string }) => c.id === 'maxstartups');
  assert.doesNotMatch(ms.summary, /10:30:100/, 'no MaxStartups value is claimed when no config was read');
});
