/**
 * doctor's exit codes and option checks through the real CLI (--offline, so nothing of this host is
 * looked at): 3 only for an input the user gave that could not be read, in full or in part; a
 * window that ends before it starts, or a date that does not exist, is a usage error (2); a config
 * alone is checked offline. And without a config, drops are not guessed to be per-source.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  // The verdict shows its evidence: lines of what the scanners did, with file:line.
  const only = j.causes.find((c: { id: string }) => c.id === 'scanners_only');
  assert.ok(only.evidence.length > 0, 'scanners_only has evidence');
  for (const e of only.evidence) assert.match(e.where, /auth\.log:\d+$/);
  assert.ok(only.evidence.some((e: { text: string }) => /kex_exchange_identification|Connection closed by 203\.0\.113\.5/.test(e.text)));
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

test('--client whose latest attempt failed to authenticate: auth_failed with its Failed lines, also after an earlier login; a wrong user name says so', () => {
  const file = join(dir, 'auth-failed.log');
  writeFileSync(file, [
    'Dec  5 10:00:01 host sshd[1401]: Accepted publickey for bob from 203.0.113.90 port 1 ssh2: ED25519 SHA256:x',
    'Dec  5 10:00:05 host sshd[1402]: Failed password for bob from 203.0.113.90 port 2 ssh2',
    'Dec  5 10:00:06 host sshd[1402]: Failed password for bob from 203.0.113.90 port 2 ssh2',
    'Dec  5 10:00:07 host sshd[1402]: Connection closed by authenticating user bob 203.0.113.90 port 2 [preauth]',
    'Dec  5 10:00:10 host sshd[708]: Invalid user alcie from 203.0.113.33 port 8',
    'Dec  5 10:00:12 host sshd[708]: Failed password for invalid user alcie from 203.0.113.33 port 8 ssh2',
    'Dec  5 10:00:13 host sshd[708]: Connection closed by invalid user alcie 203.0.113.33 port 8 [preauth]',
    '',
  ].join('\n'));
  const bob = doctor(['--log', file, '--config', config, '--client', '203.0.113.90', '--json']);
  assert.equal(bob.status, 1, bob.stderr);
  const b = JSON.parse(bob.stdout).causes[0];
  assert.equal(b.id, 'auth_failed');
  assert.match(b.summary, /the password was refused 2 times \(it logged in earlier, at 2026-12-05T10:00:01/);
  assert.deepEqual(b.evidence.map((e: { where: string }) => e.where.split(':').pop()), ['2', '3', '4']);
  assert.ok(b.fix.some((f: { commands: string[] }) => f.commands.includes('passwd -S bob')));
  const typo = JSON.parse(doctor(['--log', file, '--client', '203.0.113.33', '--json']).stdout).causes[0];
  assert.equal(typo.id, 'auth_failed');
  assert.match(typo.summary, /as "alcie" .*the user name is not an account on the server/);
  assert.ok(typo.fix.some((f: { commands: string[] }) => f.commands.includes('getent passwd alcie')));
  // A user name that is not a login name never reaches a command line.
  const odd = join(dir, 'odd-user.log');
  writeFileSync(odd, 'Dec  5 10:00:10 host sshd[808]: Failed password for x;rm -rf / from 203.0.113.34 port 9 ssh2\nDec  5 10:00:11 host sshd[808]: Connection closed by authenticating user x;rm -rf / 203.0.113.34 port 9 [preauth]\n');
  const o = JSON.parse(doctor(['--log', odd, '--client', '203.0.113.34', '--json']).stdout).causes[0];
  assert.equal(o.id, 'auth_failed');
  assert.ok(o.fix.flatMap((f: { commands: string[] }) => f.commands).every((c: string) => !c.includes('rm -rf')), JSON.stringify(o.fix));
});

test('the fix changes the line sshd takes its value from (a drop-in read first), not a drop-in that would be read after it', () => {
  const etc = join(dir, 'etc-ssh');
  mkdirSync(join(etc, 'sshd_config.d'), { recursive: true });
  writeFileSync(join(etc, 'sshd_config'), `Include ${etc}/sshd_config.d/*.conf\nPort 22\n`);
  writeFileSync(join(etc, 'sshd_config.d', '10-site.conf'), 'LoginGraceTime 600\nLogLevel INFO\n');
  const j = JSON.parse(doctor(['--log', 'samples/auth.log', '--config', join(etc, 'sshd_config'), '--json']).stdout);
  const changes = j.causes.flatMap((c: { fix: { changes: { file: string; line?: number; was?: string; text: string }[] }[] }) => c.fix.flatMap((f) => f.changes));
  const level = changes.find((c: { text: string }) => c.text === 'LogLevel VERBOSE');
  assert.deepEqual(level, { file: join(etc, 'sshd_config.d', '10-site.conf'), line: 2, was: 'LogLevel INFO', text: 'LogLevel VERBOSE' });
  const text = doctor(['--log', 'samples/auth.log', '--config', join(etc, 'sshd_config')]).stdout;
  assert.match(text, /in .*10-site\.conf line 2, instead of `LogLevel INFO`:\n\s+LogLevel VERBOSE/);
});
