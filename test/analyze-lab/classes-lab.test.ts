/**
 * Issue 9, with a real sshd (Debian's) and real ssh clients in network namespaces: users who are
 * not attackers are not classed as attackers. Each client has its own address:
 *   - one refused key                      → unknown (wrong_key_or_client), not bruteforce
 *   - an authorized key whose passphrase is never given (BatchMode) → unknown (authorized_key)
 *   - six refused keys at LogLevel INFO (MaxAuthTries 6 exceeded) → at least 3 attempts, never 0
 *   - a login whose Accepted line is cut from the log → legit, "logged in before this log starts"
 * The log is sshd's own (-E), analyzed with `sshwarden analyze --json --config <its sshd_config>`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab, type Host } from '../lab/netns.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { runSsh } from '../lab/clients.ts';
import { SSHWARDEN } from '../probe/helpers.ts';

let lab: Lab;
let srv: Host;
const hosts: Host[] = [];
let sshd: Sshd | null = null;
let dir = '';

before(() => {
  lab = Lab.create('cls');
  srv = lab.host('srv', 1);
  for (let i = 0; i < 4; i++) hosts.push(lab.host(`c${i}`, 21 + i));
  dir = mkdtempSync(join(tmpdir(), 'sw-classes-'));
});
after(async () => {
  await sshd?.stop();
  await lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function keygen(path: string, passphrase = ''): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'sshwarden-lab', '-f', path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function analyze(logText: string, config: string): any {
  const log = join(dir, `log-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, logText);
  const r = spawnSync(SSHWARDEN, ['analyze', '--json', '--config', config, log], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('real sshd: a wrong key, an unfinished authorized key, MaxAuthTries at INFO, a login before the log', async () => {
  sshd = await startSshd(srv, { options: { LogLevel: 'VERBOSE' } });
  const [wrong, locked, many, before_] = hosts;
  // 1. One refused key.
  assert.equal(runSsh(wrong, { target: srv.v4, user: 'root', key: sshd.otherKey }).loggedIn, false);
  // 2. The authorized key, encrypted, in batch mode: sshd accepts the public key (Postponed), the client never signs.
  const enc = join(dir, 'enc');
  copyFileSync(sshd.clientKey, enc);
  copyFileSync(`${sshd.clientKey}.pub`, `${enc}.pub`);
  const p = spawnSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'a passphrase nobody types', '-f', enc], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(runSsh(locked, { target: srv.v4, user: 'root', key: enc }).loggedIn, false);
  // 4. A login; its Accepted line is cut from the log below.
  assert.equal(runSsh(before_, { target: srv.v4, user: 'root', key: sshd.clientKey }).loggedIn, true);
  await new Promise((r) => setTimeout(r, 500));
  const verbose = readFileSync(sshd.stderrLog!, 'utf8');
  assert.match(verbose, /Postponed publickey for root from \S+ port \d+ ssh2/, 'sshd accepted the encrypted key\'s public half');

  const a = analyze(verbose, sshd.configPath);
  const src = (h: Host) => a.sources.find((s: { address: string }) => s.address === h.v4);
  assert.deepEqual([src(wrong).class, src(wrong).detail], ['unknown', 'wrong_key_or_client'], src(wrong).why);
  assert.deepEqual([src(locked).class, src(locked).detail], ['unknown', 'authorized_key'], src(locked).why);
  assert.equal(src(before_).class, 'legit');

  // The same log from just after the login's Accepted line: only the session's end is left.
  const lines = verbose.split('\n');
  const acc = lines.findIndex((l) => l.includes(`Accepted publickey for root from ${before_.v4} `));
  assert.ok(acc >= 0, 'the Accepted line is in the log');
  const cut = analyze(lines.slice(acc + 1).filter((l) => !l.includes(wrong.v4) && !l.includes(locked.v4)).join('\n'), sshd.configPath);
  const s = cut.sources.find((x: { address: string }) => x.address === before_.v4);
  assert.ok(s, `the session end names its address: ${lines.slice(acc + 1).join('\n')}`);
  assert.deepEqual([s.class, s.detail], ['legit', 'logged_in_before_log'], s.why);
  assert.match(s.why, /logged in before this log starts/);

  // 3. At LogLevel INFO: six refused keys exceed MaxAuthTries 6.
  await sshd.reconfigure({ LogLevel: 'INFO' });
  const keys = Array.from({ length: 7 }, (_, i) => join(dir, `k${i}`));
  for (const k of keys) keygen(k);
  const from = readFileSync(sshd.stderrLog!, 'utf8').length;
  assert.equal(runSsh(many, { target: srv.v4, user: 'root', key: keys }).loggedIn, false);
  await new Promise((r) => setTimeout(r, 500));
  const info = readFileSync(sshd.stderrLog!, 'utf8').slice(from);
  assert.match(info, /maximum authentication attempts exceeded for root from/);
  const b = analyze(info, sshd.configPath);
  const m = b.sources.find((x: { address: string }) => x.address === many.v4);
  assert.ok(m.attempts >= 3, `at least 3 attempts, got ${m.attempts}: ${m.why}`);
  assert.doesNotMatch(m.why, /\b0 (failed|attempts)/);
  assert.match(m.why, /1 connection with failed logins, (at least )?\d+ attempts/);
  assert.notEqual(m.class, 'bruteforce', 'one user offering the keys it has is not brute force');
});
