/**
 * End to end, in network namespaces (documentation addresses only; the host's firewall is never
 * touched): a server namespace with a real sshd logging through a private rsyslog, the real
 * `sshwarden guard` following that log and real nftables; attacker namespaces that flood silent
 * connections, speak HTTP, brute-force users, inject a legitimate user's address into user names
 * and identification strings; legitimate users who log in (and one who then mistypes keys).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serverLab } from '../lab/server-lab.ts';
import type { Rsyslog } from '../lab/rsyslog.ts';
import type { Sshd } from '../lab/sshd.ts';
import { runRaw, runSsh } from '../lab/clients.ts';
import { attackUntilBanned, baseConfig, cli, guardDir, nftElements, reaches, startGuard, until, writeConfig, type RunningGuard } from './guard-lab.ts';

const L = serverLab('gea', { scan: 21, http: 22, brute: 23, inj: 24, scan6: 25, user: 31, victim: 32 }); // victim: the address the injector tries to get banned
const { srv } = L;
const { scan: scanner, http, brute, inj: injector, scan6: v6scan, user, victim } = L.hosts;
let syslog: Rsyslog;
let sshd: Sshd;
let guard: RunningGuard;
const dir = guardDir();

before(async () => {
  ({ syslog, sshd } = await L.start({ sshd: { LogLevel: 'INFO', MaxStartups: '100:30:200', PasswordAuthentication: 'yes', UsePAM: 'no' } }));
  const cfg = writeConfig(dir, baseConfig(dir, syslog.logFile, 'never_ban:\n  authenticated_for: 1d\n'));
  guard = await startGuard(srv, cfg);
});

after(async () => {
  await guard?.stop();
  await L.stop();
});

const banLog = (target: string) => (l: { msg: string; target?: unknown }) => l.msg === 'ban' && l.target === target;

test('a legitimate user logs in (and is remembered)', async () => {
  const r = runSsh(user, { target: srv.v4, user: 'root', key: sshd.clientKey });
  assert.ok(r.loggedIn, `login failed: ${r.stderr}`);
  const v = runSsh(victim, { target: srv.v4, user: 'root', key: sshd.clientKey });
  assert.ok(v.loggedIn, `victim login failed: ${v.stderr}`);
  await syslog.waitFor(/Accepted publickey for root from 192\.0\.2\.32/);
});

test('silent connect-and-close flood: banned, its next SYN is dropped', async () => {
  assert.ok(reaches(scanner, srv.v4), 'scanner reaches sshd before');
  const steps = await attackUntilBanned(guard, scanner.v4, () => runRaw(scanner, { host: srv.v4, port: 22, waitBanner: false, then: 'close' }), 20);
  // + 1: the reachability probe above is a silent connect-and-close too.
  assert.equal(steps + 1, 10, `banned after ${steps + 1} silent connections: the policy says 10 (weight 3, threshold 30)`);
  const ban = await guard.waitLog(banLog(scanner.v4), 10_000, 'scanner ban');
  assert.match(String(ban.reason), /closed_before_ident/);
  assert.ok(Array.isArray(ban.evidence) && (ban.evidence as unknown[]).length > 0, 'ban carries evidence lines');
  assert.ok(nftElements(srv).includes(scanner.v4), 'in the nft set');
  assert.equal(reaches(scanner, srv.v4), false, 'next SYN dropped');
  assert.ok(reaches(user, srv.v4), 'other sources unaffected');
});

test('HTTP on the SSH port: banned', async () => {
  await attackUntilBanned(guard, http.v4, () => runRaw(http, { host: srv.v4, port: 22, waitBanner: false, send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', then: 'wait-server', holdMs: 3000 }), 8);
  const ban = await guard.waitLog(banLog(http.v4), 10_000, 'http ban');
  assert.match(String(ban.reason), /non_ssh|protocol_mismatch/);
  assert.equal(reaches(http, srv.v4), false);
});

test('password brute force on invalid users: banned', async () => {
  let i = 0;
  const t0 = Date.now();
  const steps = await attackUntilBanned(guard, brute.v4, () => runSsh(brute, { target: srv.v4, user: `admin${i++}`, password: 'wrong', tries: 3, timeoutMs: 8000 }), 4);
  const ban = await guard.waitLog(banLog(brute.v4), 10_000, 'brute-force ban');
  // Invalid user (6) + 3 failed passwords (6 each) = 24 per connection: the second connection crosses 30.
  assert.equal(steps, 2, `banned after ${steps} connections`);
  // The ban lands while the second connection is still open: its packets are dropped too, so that ssh hangs until its own timeout.
  assert.ok(Date.now() - t0 < 40_000);
  assert.match(String(ban.reason), /invalid user|failed password/);
  assert.equal(reaches(brute, srv.v4), false);
});

test("injection: a user's address in user names and identification strings never gets them banned", async () => {
  const vic = victim.v4;
  const steps = [
    () => runRaw(injector, { host: srv.v4, port: 22, waitBanner: false, send: `SSH-2.0-OpenSSH_9.9 from ${vic} port 22\r\n`, then: 'close' }),
    () => runRaw(injector, { host: srv.v4, port: 22, waitBanner: false, send: `Failed password for root from ${vic} port 22 ssh2\r\n`, then: 'close' }),
    () => runSsh(injector, { target: srv.v4, user: `root from ${vic} port 22`, password: 'x', tries: 1, timeoutMs: 8000 }),
    () => runSsh(injector, { target: srv.v4, user: `x from ${vic} port 22 ssh2`, password: 'x', tries: 1, timeoutMs: 8000 }),
  ];
  let n = 0;
  await attackUntilBanned(guard, injector.v4, () => steps[n++ % steps.length](), 16);
  await guard.waitLog(banLog(injector.v4), 10_000, 'injector ban');
  assert.ok(!guard.logs.some((l) => (l.msg === 'ban' || l.msg === 'ban refused') && String(l.target) === vic), 'victim never in a ban decision');
  assert.ok(!nftElements(srv).includes(vic), 'victim not in the firewall');
  assert.ok(reaches(victim, srv.v4), 'victim still reaches sshd');
});

test('a user who logged in before and then mistypes keys many times is not banned', async () => {
  for (let i = 0; i < 12; i++) {
    const r = runSsh(user, { target: srv.v4, user: 'root', key: sshd.otherKey });
    assert.equal(r.loggedIn, false);
  }
  // Silent-ish failures too: connect and close a few times.
  runRaw(user, { host: srv.v4, port: 22, count: 10, waitBanner: false, then: 'close' });
  const refused = await guard.waitLog((l) => l.msg === 'ban refused' && l.address === user.v4, 15_000, 'refused ban for the user');
  assert.match(String(refused.reason), /logged in successfully/);
  assert.ok(!nftElements(srv).includes(user.v4));
  const r = runSsh(user, { target: srv.v4, user: 'root', key: sshd.clientKey });
  assert.ok(r.loggedIn, 'the user still gets in');
});

test('IPv6 scanner: the /64 ban is narrowed because the /64 holds this server and its users', async () => {
  runRaw(v6scan, { host: srv.v6, port: 22, count: 10, waitBanner: false, then: 'close' });
  const ban = await guard.waitLog(banLog(v6scan.v6), 10_000, 'v6 scanner ban');
  assert.match(String(ban.reason), /narrowed from 2001:db8::\/64/);
  assert.equal(reaches(v6scan, srv.v6), false, 'v6 scanner dropped');
  assert.ok(reaches(user, srv.v6), 'user still reaches over v6 (same /64)');
});

test('status, manual ban with expiry, unban, allow through the control socket', async () => {
  const cfg = `${dir}/config.yaml`;
  const st = cli(srv, ['status', '-c', cfg, '--json']);
  assert.equal(st.status, 0, st.stderr);
  const status = JSON.parse(st.stdout) as { running: boolean; bans: { target: string; applied: boolean }[] };
  assert.equal(status.running, true);
  for (const t of [scanner.v4, http.v4, brute.v4]) assert.ok(status.bans.some((b) => b.target === t && b.applied), `${t} in status`);
  // Loopback and own addresses are refused.
  assert.notEqual(cli(srv, ['ban', '127.0.0.1', '-c', cfg]).status, 0);
  const own = cli(srv, ['ban', srv.v4, '-c', cfg]);
  assert.notEqual(own.status, 0);
  assert.match(own.stderr, /own address/);
  // A manual 2 s ban is enforced by the kernel and expires.
  const b = cli(srv, ['ban', '203.0.113.77', '--for', '2s', '-c', cfg, '--json']);
  assert.equal(b.status, 0, b.stderr);
  assert.ok(nftElements(srv).includes('203.0.113.77'));
  await until(() => !nftElements(srv).includes('203.0.113.77'), 6000, 'kernel expiry of the manual ban');
  await guard.waitLog((l) => l.msg === 'expired' && l.target === '203.0.113.77', 5000, 'expired log');
  // Unban lifts at once.
  const u = cli(srv, ['unban', scanner.v4, '-c', cfg]);
  assert.equal(u.status, 0, u.stderr);
  assert.ok(reaches(scanner, srv.v4), 'scanner reaches again after unban');
  // allow lifts a ban it covers and protects from then on.
  const a = cli(srv, ['allow', `${http.v4}/32`, '-c', cfg, '--json']);
  assert.equal(a.status, 0, a.stderr);
  assert.deepEqual((JSON.parse(a.stdout) as { lifted: string[] }).lifted, [http.v4]);
  assert.ok(reaches(http, srv.v4));
  // Metrics on localhost.
  const m = srv.run('curl', ['-sS', 'http://127.0.0.1:9687/metrics']);
  assert.match(m.stdout, /sshwarden_guard_decisions_total\{action="ban",origin="auto"\} [1-9]/);
  assert.match(m.stdout, /sshwarden_guard_refused_bans_total [1-9]/);
  assert.match(m.stdout, /sshwarden_guard_active_bans\{backend="nftables"\}/);
});

test('legitimate users were never banned', () => {
  const bannedTargets = guard.logs.filter((l) => l.msg === 'ban').map((l) => String(l.target));
  for (const legit of [user.v4, victim.v4, user.v6, victim.v6, srv.v4, srv.v6]) assert.ok(!bannedTargets.includes(legit), `${legit} banned: ${bannedTargets.join(', ')}`);
  assert.ok(!bannedTargets.some((t) => t.includes('/')), 'no prefix ban covering users');
});
