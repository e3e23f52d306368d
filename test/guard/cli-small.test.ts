/**
 * The guard's small things, through the real CLI (spawned, firewall backend `none`, store and
 * socket in a temp dir): `--replay --once` reads a file to its end, bans, and exits by itself,
 * with "guard started" and "following <file>" logged before the first ban; a guard that reads no
 * sshd line warns after a while (shortened here with the internal --silent-warning); `--check`
 * says whether a config file exists and what the guard would follow; a missing config is one
 * sentence; `status` before any store is "no bans yet" (exit 0); `status --json` gives evidence
 * as a JSON array and ISO-8601 times, from the store and from the running daemon alike; `unban`
 * of an address that is not banned records nothing (and creates no store).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuardStore } from '../../src/guard/store.ts';

const REPO = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sw-guard-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function config(name: string, files: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    [
      'log:',
      '  source: files',
      `  files: [${files.map((f) => JSON.stringify(f)).join(', ')}]`,
      'firewall:',
      '  backend: none',
      'state:',
      `  database: ${JSON.stringify(join(dir, `${name}.db`))}`,
      `  socket: ${JSON.stringify(join(dir, `${name}.sock`))}`,
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  return path;
}

function sshwarden(args: string[], timeout = 60_000) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

/** 40 brute-force connections from one documentation address, timed just now. */
function bruteLog(): string {
  const out: string[] = [];
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < 40; i++) {
    const ts = new Date(t0 + i * 1000).toISOString().replace('Z', '+00:00');
    const pid = 5000 + i;
    out.push(`${ts} srv sshd[${pid}]: Invalid user u${i} from 203.0.113.66 port ${40000 + i}`);
    out.push(`${ts} srv sshd[${pid}]: Failed password for invalid user u${i} from 203.0.113.66 port ${40000 + i} ssh2`);
    out.push(`${ts} srv sshd[${pid}]: Connection closed by invalid user u${i} 203.0.113.66 port ${40000 + i} [preauth]`);
  }
  return `${out.join('\n')}\n`;
}

test('guard --replay --once: reads the file to its end, bans, exits 0; "guard started" and "following" come first', () => {
  const log = join(dir, 'brute.log');
  writeFileSync(log, bruteLog());
  const r = sshwarden(['guard', '-c', config('once', [log]), '--replay', '--once'], 120_000);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg?: string; message?: string; [k: string]: unknown });
  const name = (e: Record<string, unknown>) => String(e.msg ?? e.message ?? e.event ?? '');
  const started = events.findIndex((e) => name(e) === 'guard started');
  const following = events.findIndex((e) => name(e) === 'following');
  const ban = events.findIndex((e) => name(e) === 'ban');
  assert.ok(started >= 0 && following > started, r.stdout);
  assert.ok(ban > following, `a ban after "guard started": ${r.stdout}`);
  assert.deepEqual(events[following].files, [log]);
  assert.equal(events[ban].target, '203.0.113.66');
  assert.ok(events.some((e) => name(e) === 'guard stopped'));
  // --once without --replay is a usage error
  assert.equal(sshwarden(['guard', '-c', config('once2', [log]), '--once']).status, 2);
});

test('a guard that reads no sshd line warns, naming its source', async () => {
  const log = join(dir, 'quiet.log');
  writeFileSync(log, '2026-11-21T10:00:09.000000+00:00 srv CRON[7]: pam_unix(cron:session): session opened for user root\n');
  const child = spawn('./sshwarden', ['guard', '-c', config('quiet', [log]), '--silent-warning', '2'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    const end = Date.now() + 60_000;
    while (!/no sshd line read yet/.test(out) && Date.now() < end && child.exitCode === null) await sleep(100);
    const warn = out.split('\n').find((l) => l.includes('no sshd line read yet'));
    assert.ok(warn, out);
    const w = JSON.parse(warn) as { level?: string; sources: string[] };
    assert.deepEqual(w.sources, [log]);
  } finally {
    child.kill('SIGTERM');
    const end = Date.now() + 10_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('guard --check: says whether a config file exists and what the guard would follow; a missing -c file is one sentence', () => {
  const log = join(dir, 'present.log');
  writeFileSync(log, '');
  const ok = sshwarden(['guard', '--check', '-c', config('check', [log])]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `${join(dir, 'check.yaml')}: valid; the guard would follow the files ${log}\n`);
  const def = sshwarden(['guard', '--check']);
  if (existsSync('/etc/sshwarden/config.yaml')) assert.match(def.stdout, /^\/etc\/sshwarden\/config\.yaml: valid; the guard would follow /);
  else assert.match(def.stdout, /^no config file at \/etc\/sshwarden\/config\.yaml: the built-in defaults apply \(valid\); the guard would follow /);
  const missing = sshwarden(['guard', '--check', '-c', join(dir, 'nope.yaml')]);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, `sshwarden: ${join(dir, 'nope.yaml')}: cannot read: no such file\n`);
  assert.equal(missing.stdout, '');
});

test('status before any store: "no bans yet", exit 0 (text and --json); unban creates no store', () => {
  const cfg = config('fresh', [join(dir, 'none.log')]);
  const t = sshwarden(['status', '-c', cfg]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /no bans yet/);
  const j = sshwarden(['status', '--json', '-c', cfg]);
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout).bans, []);
  const u = sshwarden(['unban', '192.0.2.9', '-c', cfg]);
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stdout, /was not banned/);
  assert.ok(!existsSync(join(dir, 'fresh.db')), 'unban of nothing created a store');
});

test('status --json: evidence arrays and ISO times from the store and from the running guard; unbanning what is not banned records nothing', async () => {
  const cfg = config('st', [join(dir, 'st.log')]);
  writeFileSync(join(dir, 'st.log'), '');
  const now = Date.now();
  const store = new GuardStore(join(dir, 'st.db'));
  store.recordBan(
    { target: '203.0.113.5', family: 4, since: now, until: now + 3600_000, reason: 'test', origin: 'auto', offence: 1, evidence: JSON.stringify([{ file: '/var/log/auth.log', line: 3, text: 'Invalid user x' }]) },
    now,
  );
  const before = store.recentDecisions(100).length;
  assert.equal(store.recordUnban('198.51.100.1', 'manual unban', 'manual', now), false);
  assert.equal(store.recentDecisions(100).length, before, 'an unban of nothing was recorded');
  store.close();
  const check = (text: string) => {
    const s = JSON.parse(text);
    assert.equal(s.bans.length, 1);
    assert.ok(Array.isArray(s.bans[0].evidence), JSON.stringify(s.bans[0]));
    assert.equal(s.bans[0].evidence[0].line, 3);
    assert.match(s.bans[0].since, ISO);
    assert.ok(s.recent.length >= 1);
    for (const d of s.recent) {
      assert.match(d.time, ISO);
      assert.ok(Array.isArray(d.evidence), JSON.stringify(d));
    }
  };
  const offline = sshwarden(['status', '--json', '-c', cfg]);
  assert.equal(offline.status, 0, offline.stderr);
  check(offline.stdout);
  const child = spawn('./sshwarden', ['guard', '-c', cfg], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  try {
    const end = Date.now() + 60_000;
    while (!out.includes('guard started') && Date.now() < end && child.exitCode === null) await sleep(100);
    assert.ok(out.includes('guard started'), out);
    await sleep(300);
    const live = sshwarden(['status', '--json', '-c', cfg]);
    assert.equal(live.status, 0, live.stderr);
    assert.equal(JSON.parse(live.stdout).running, true);
    check(live.stdout);
    const n = JSON.parse(live.stdout).recent.length;
    const u = sshwarden(['unban', '198.51.100.2', '-c', cfg]);
    assert.match(u.stdout, /was not banned/);
    assert.equal(JSON.parse(sshwarden(['status', '--json', '-c', cfg]).stdout).recent.length, n, 'the running guard recorded an unban of nothing');
  } finally {
    child.kill('SIGTERM');
    const end = Date.now() + 10_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
