/**
 * The guard's durability and fault handling, end to end in lab namespaces with a real sshd,
 * rsyslog and nftables: SIGKILL + a wiped firewall ("reboot") + lines written while it was down;
 * log rotation (rename-and-create, copytruncate) mid-attack; `systemctl reload` with a bad and a
 * good config; a bad config at start; a failing firewall command (kept and retried); dry run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, readFileSync, renameSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { serverLab } from '../lab/server-lab.ts';
import type { Rsyslog } from '../lab/rsyslog.ts';
import type { Sshd } from '../lab/sshd.ts';
import { runRaw } from '../lab/clients.ts';
import { attackUntilBanned, baseConfig, cli, guardDir, MAIN, nftElements, reaches, startGuard, until, writeConfig, type RunningGuard } from './guard-lab.ts';

const L = serverLab('ged', { a: 21, b: 22, c: 23, d: 24, e: 25, dry: 2 });
const { srv } = L;
const { a: atkA, b: atkB, c: atkC, d: atkD, e: atkE, dry } = L.hosts;
let syslog: Rsyslog;
let sshd: Sshd;
let guard: RunningGuard;
const dir = guardDir();
let cfgPath = '';

const silent = (h: typeof atkA) => () => runRaw(h, { host: srv.v4, port: 22, waitBanner: false, then: 'close' });
const banLog = (target: string) => (l: { msg: string; target?: unknown }) => l.msg === 'ban' && l.target === target;

before(async () => {
  ({ syslog, sshd } = await L.start({ sshd: { LogLevel: 'INFO', MaxStartups: '100:30:200' } }));
  cfgPath = writeConfig(dir, baseConfig(dir, syslog.logFile));
  guard = await startGuard(srv, cfgPath);
});

after(async () => {
  await guard?.stop();
  await L.stop();
});

test('SIGKILL, a wiped firewall and lines logged while down: bans re-applied, no decision lost', async () => {
  await attackUntilBanned(guard, atkA.v4, silent(atkA), 14);
  await guard.waitLog(banLog(atkA.v4), 5000, 'ban A');
  await until(() => nftElements(srv).includes(atkA.v4), 3000, 'A in the set');
  await new Promise((r) => setTimeout(r, 1200)); // let the guard save its log position once more
  await guard.kill();
  // The kernel keeps enforcing while the guard is gone.
  assert.equal(reaches(atkA, srv.v4), false, 'still dropped with the guard dead');
  // "Reboot": the firewall is empty.
  srv.check('nft', ['delete', 'table', 'inet', 'sshwarden']);
  assert.ok(reaches(atkA, srv.v4), 'firewall wiped');
  // B attacks while the guard is down.
  for (let i = 0; i < 10; i++) silent(atkB)();
  await syslog.sync();
  guard = await startGuard(srv, cfgPath);
  assert.equal(reaches(atkA, srv.v4), false, 'A banned again from the store');
  await guard.waitLog(banLog(atkB.v4), 10_000, 'ban of B from lines logged while down');
  await until(() => !reaches(atkB, srv.v4), 3000, 'B dropped');
  const st = JSON.parse(cli(srv, ['status', '-c', cfgPath, '--json']).stdout) as { bans: { target: string; applied: boolean }[] };
  for (const t of [atkA.v4, atkB.v4]) assert.ok(st.bans.some((b) => b.target === t && b.applied), `${t} active and applied`);
});

test('rename-and-create rotation mid-attack loses no line', async () => {
  for (let i = 0; i < 5; i++) silent(atkC)();
  await syslog.sync();
  renameSync(syslog.logFile, `${syslog.logFile}.1`);
  process.kill(syslog.pid, 'SIGHUP'); // rsyslog reopens: a new auth.log
  const steps = await attackUntilBanned(guard, atkC.v4, silent(atkC), 10);
  assert.equal(5 + steps, 10, `banned after ${5 + steps} connections (policy: 10); a lost line would need more`);
  await guard.waitLog((l) => l.msg === 'log source' && /rotated|moved/.test(String(l.message)), 3000, 'rotation notice');
});

test('copytruncate rotation mid-attack loses no line', async () => {
  await until(() => existsSync(syslog.logFile), 5000, 'new log file');
  for (let i = 0; i < 5; i++) silent(atkD)();
  await syslog.sync();
  await new Promise((r) => setTimeout(r, 200));
  copyFileSync(syslog.logFile, `${syslog.logFile}.2`);
  truncateSync(syslog.logFile, 0);
  const steps = await attackUntilBanned(guard, atkD.v4, silent(atkD), 10);
  assert.equal(5 + steps, 10, `banned after ${5 + steps} connections (policy: 10)`);
});

test('reload: a bad config is refused (file:line:key) and the old one keeps running; a good one applies', async () => {
  writeFileSync(cfgPath, `${baseConfig(dir, syslog.logFile)}policy:\n  treshold: 3\n`);
  process.kill(guard.child.pid!, 'SIGHUP');
  const refused = await guard.waitLog((l) => l.msg.startsWith('reload refused'), 5000, 'reload refused');
  assert.match(String(refused.error), /config\.yaml:\d+: policy\.treshold: unknown key/);
  const goodCopy = join(dir, 'good.yaml');
  writeFileSync(goodCopy, baseConfig(dir, syslog.logFile));
  const st = cli(srv, ['status', '-c', goodCopy, '--json']);
  assert.equal(st.status, 0, st.stderr);
  assert.equal((JSON.parse(st.stdout) as { running: boolean }).running, true, 'still running');
  writeFileSync(cfgPath, `${baseConfig(dir, syslog.logFile)}policy:\n  threshold: 6\n`);
  process.kill(guard.child.pid!, 'SIGHUP');
  await guard.waitLog((l) => l.msg === 'config reloaded', 5000, 'reloaded');
  // New threshold: 2 silent connections (weight 3) ban.
  const steps = await attackUntilBanned(guard, atkE.v4, silent(atkE), 6);
  assert.equal(steps, 2);
  assert.ok(nftElements(srv).includes(atkA.v4), 'bans survive the reload');
});

test('a bad config at start: the daemon does not start, the error names file, line and key', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'firewall:\n  backend: nft\nnever_ban:\n  allow: [198.51.100.0/33]\n');
  const r = cli(srv, ['guard', '-c', bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yaml:2: firewall\.backend: /);
  assert.match(r.stderr, /bad\.yaml:4: never_ban\.allow\[0\]: not a CIDR/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('a failing firewall command: the decision is kept and retried until it sticks', async () => {
  const d2 = guardDir();
  const record = join(d2, 'record.txt');
  const flag = join(d2, 'firewall-ok');
  const script = join(d2, 'fw.sh');
  writeFileSync(script, `#!/bin/sh\n[ -e ${flag} ] || { echo "firewall unavailable" >&2; exit 1; }\necho "$@" >> ${record}\n`);
  chmodSync(script, 0o755);
  const log = join(d2, 'auth.log');
  writeFileSync(log, '');
  const cfg = writeConfig(d2, `log:\n  source: files\n  files: [${JSON.stringify(log)}]\n  format: syslog-iso\nfirewall:\n  backend: command\n  retry: 1s\n  command:\n    ban: [${JSON.stringify(script)}, ban, "{target}", "{seconds}"]\n    unban: [${JSON.stringify(script)}, unban, "{target}"]\nstate:\n  database: ${JSON.stringify(join(d2, 'g.db'))}\n  socket: ${JSON.stringify(join(d2, 'g.sock'))}\nmetrics:\n  enabled: false\n`);
  const g = await startGuard(dry, cfg);
  try {
    appendFileSync(log, synthFlood('198.51.100.99', 10));
    await g.waitLog(banLog('198.51.100.99'), 5000, 'ban decision');
    await g.waitLog((l) => l.msg.startsWith('firewall update failed'), 5000, 'failure logged');
    const st = JSON.parse(cli(dry, ['status', '-c', cfg, '--json']).stdout) as { bans: { target: string; applied: boolean; error: string | null }[] };
    const b = st.bans.find((x) => x.target === '198.51.100.99');
    assert.ok(b && !b.applied && /firewall unavailable/.test(String(b.error)), `pending with its error: ${JSON.stringify(b)}`);
    writeFileSync(flag, '');
    await until(() => existsSync(record) && readFileSync(record, 'utf8').includes('ban 198.51.100.99'), 8000, 'retried ban reaches the firewall');
  } finally {
    await g.stop();
  }
});

test('--dry-run decides and logs but creates no firewall objects', async () => {
  const d3 = guardDir();
  const log = join(d3, 'auth.log');
  writeFileSync(log, '');
  const cfg = writeConfig(d3, baseConfig(d3, log).replace('metrics:\n  listen: 127.0.0.1:9687', 'metrics:\n  enabled: false'));
  const g = await startGuard(dry, cfg, ['--dry-run']);
  try {
    appendFileSync(log, synthFlood('203.0.113.50', 10));
    const ban = await g.waitLog(banLog('203.0.113.50'), 5000, 'dry-run ban');
    assert.equal(ban.dryRun, true);
    assert.doesNotMatch(dry.check('nft', ['list', 'tables']), /sshwarden/);
    assert.equal(existsSync(join(d3, 'guard.db')), false, 'no store written');
  } finally {
    await g.stop();
  }
});

/** Debian-12 rsyslog lines of `n` silent connections (OpenSSH 9.2, LogLevel INFO). */
function synthFlood(addr: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const t = new Date().toISOString().replace('Z', '+00:00');
    s += `${t} srv sshd[${7000 + i}]: error: kex_exchange_identification: Connection closed by remote host\n`;
    s += `${t} srv sshd[${7000 + i}]: Connection closed by ${addr} port ${50000 + i}\n`;
  }
  return s;
}

void MAIN;

test('ban, status, unban and allow without a running daemon: store and firewall updated directly', () => {
  const d4 = guardDir();
  const cfg = writeConfig(d4, baseConfig(d4, join(d4, 'auth.log')).replace('metrics:\n  listen: 127.0.0.1:9687', 'metrics:\n  enabled: false'));
  const b = cli(dry, ['ban', '203.0.113.66', '--for', '1h', '--reason', 'manual test', '-c', cfg, '--json']);
  assert.equal(b.status, 0, b.stderr);
  assert.match(JSON.parse(b.stdout).via as string, /guard not running/);
  assert.ok(nftElements(dry).includes('203.0.113.66'), 'in the firewall at once');
  const st = JSON.parse(cli(dry, ['status', '-c', cfg, '--json']).stdout) as { running: boolean; bans: { target: string; reason: string; applied: boolean }[] };
  assert.equal(st.running, false);
  assert.ok(st.bans.some((x) => x.target === '203.0.113.66' && x.reason === 'manual test' && x.applied));
  assert.notEqual(cli(dry, ['ban', '::1', '-c', cfg]).status, 0, 'loopback refused');
  const a = cli(dry, ['allow', '203.0.113.0/24', '-c', cfg, '--json']);
  assert.equal(a.status, 0, a.stderr);
  assert.deepEqual(JSON.parse(a.stdout).lifted, ['203.0.113.66']);
  assert.ok(!nftElements(dry).includes('203.0.113.66'), 'allow lifted the ban in the firewall');
  const refused = cli(dry, ['ban', '203.0.113.70', '-c', cfg]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /allowlisted/);
  assert.equal(cli(dry, ['guard', '--uninstall', '-c', cfg]).status, 0);
  assert.doesNotMatch(dry.check('nft', ['list', 'tables']), /sshwarden/);
});
