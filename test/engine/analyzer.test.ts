/**
 * The Analyzer on the line sequences each OpenSSH era writes (built from the format strings in
 * openssh-log-catalog.md §8 "Illustrative sequences"), one connection story per test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { AnalysisResult, EngineUpdate } from '../../src/engine/types.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

interface Rec {
  /** seconds after T0 */
  t: number;
  pid: number | null;
  msg: string;
  program?: string;
  host?: string;
}

function lines(recs: Rec[]): FramedLine[] {
  return recs.map((r, i) => ({ ts: T0 + r.t * 1000, host: r.host ?? 'srv', program: r.program ?? 'sshd', pid: r.pid, message: r.msg, file: 'auth.log', line: i + 1 }));
}

function run(recs: Rec[], opts: ConstructorParameters<typeof Analyzer>[0] = {}): { result: AnalysisResult; updates: EngineUpdate[][] } {
  const a = new Analyzer(opts);
  const updates = lines(recs).map((l) => a.push(l));
  const { finalUpdates, ...result } = a.finish();
  updates.push(finalUpdates);
  return { result, updates };
}

function conns(r: AnalysisResult): [string | null, number | null, string, string][] {
  return r.connections!.map((c) => [c.src, c.srcPort, c.outcome, c.detail]);
}

test('8.3–9.4: the address-less kex line is attributed through the follow-up line of its process', () => {
  const { result } = run([
    { t: 0, pid: 100, msg: 'error: kex_exchange_identification: Connection closed by remote host' },
    { t: 0, pid: 100, msg: 'Connection closed by 203.0.113.7 port 40001' },
    { t: 1, pid: 101, msg: 'error: kex_exchange_identification: read: Connection reset by peer' },
    { t: 1, pid: 101, msg: 'Connection reset by 203.0.113.8 port 40002' },
    { t: 2, pid: 102, msg: 'error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"' },
    { t: 2, pid: 102, msg: 'banner exchange: Connection from 203.0.113.9 port 40003: invalid format' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'closed_before_ident', 'closed'],
    ['203.0.113.8', 40002, 'reset_before_ident', 'reset'],
    ['203.0.113.9', 40003, 'non_ssh', 'http'],
  ]);
  const k = result.summary.kexIdentification;
  assert.deepEqual([k.lines, k.connections, k.sources, k.unattributed], [3, 3, 3, 0]);
  assert.equal(result.era.range, '8.3–9.4');
  assert.equal(result.logLevel.level, 'INFO');
  assert.ok(result.summary.findings.some((f) => /3 `kex_exchange_identification` lines: they belong to 3 connections from 3 sources/.test(f)), result.summary.findings.join('\n'));
  assert.ok(result.sources.every((s) => s.class === 'scanner'));
});

test('8.0–8.2 at INFO: no address anywhere, counted as unattributed with the reason and the advice', () => {
  const { result } = run([
    { t: 0, pid: 100, msg: 'error: kex_exchange_identification: Connection closed by remote host' },
    { t: 1, pid: 101, msg: 'error: kex_exchange_identification: Connection closed by remote host' },
    { t: 2, pid: 102, msg: 'Invalid user admin from 203.0.113.7 port 40001' },
    { t: 2, pid: 102, msg: 'Connection closed by invalid user admin 203.0.113.7 port 40001 [preauth]' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'auth_failed', 'closed'],
    [null, null, 'closed_before_ident', 'closed'],
    [null, null, 'closed_before_ident', 'closed'],
  ]);
  assert.equal(result.unattributed.connections, 2);
  assert.equal(result.unattributed.kexIdentification, 2);
  assert.ok(Object.keys(result.unattributed.reasons)[0].startsWith('kex_no_address'));
  assert.equal(result.era.range, '8.0–8.2');
  assert.ok(result.summary.blindSpots.some((b) => b.includes('8.0–8.2') && b.includes('LogLevel VERBOSE')));
  assert.ok(result.summary.findings.some((f) => /2 could not be tied to an address/.test(f)), result.summary.findings.join('\n'));
});

test('any version at VERBOSE: the preceding Connection from gives the address; LogLevel detected', () => {
  const { result } = run([
    { t: 0, pid: 100, msg: 'Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22 rdomain ""' },
    { t: 0, pid: 100, msg: 'error: kex_exchange_identification: Connection closed by remote host' },
  ]);
  assert.deepEqual(conns(result), [['203.0.113.7', 40001, 'closed_before_ident', 'closed']]);
  assert.equal(result.connections![0].local, '192.0.2.1');
  assert.equal(result.logLevel.level, 'VERBOSE');
});

test('7.x, 9.5+ and 10.3+ forms of the same silent scanner', () => {
  const seven = run([{ t: 0, pid: 100, msg: 'Did not receive identification string from 203.0.113.7 port 40001' }]).result;
  assert.deepEqual(conns(seven), [['203.0.113.7', 40001, 'closed_before_ident', 'closed']]);
  assert.equal(seven.era.range, '7.0–7.9');
  const nine = run([{ t: 0, pid: 100, msg: 'Connection closed by 203.0.113.7 port 40001', program: 'sshd-session' }]).result;
  assert.deepEqual(conns(nine), [['203.0.113.7', 40001, 'closed_before_ident', 'banner_phase']]);
  assert.equal(nine.era.range, '9.8–10.5');
  assert.ok(nine.summary.findings.some((f) => /No `kex_exchange_identification` lines/.test(f)), nine.summary.findings.join('\n'));
  const ten = run([
    { t: 0, pid: 100, msg: 'kex_exchange_identification: Connection closed by remote host [preauth]', program: 'sshd-session' },
    { t: 0, pid: 100, msg: 'Connection closed by 203.0.113.7 port 40001 [preauth]', program: 'sshd-session' },
  ]).result;
  assert.deepEqual(conns(ten), [['203.0.113.7', 40001, 'closed_before_ident', 'closed']]);
  assert.equal(ten.era.range, '10.3–10.5');
});

test('password guesser: failures are reported on their own line, the connection when it ends', () => {
  const { result, updates } = run([
    { t: 0, pid: 200, msg: 'Invalid user admin from 203.0.113.7 port 40001' },
    { t: 1, pid: 200, msg: 'pam_unix(sshd:auth): check pass; user unknown' },
    { t: 1, pid: 200, msg: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7 ' },
    { t: 2, pid: 200, msg: 'Failed password for invalid user admin from 203.0.113.7 port 40001 ssh2' },
    { t: 3, pid: 200, msg: 'error: maximum authentication attempts exceeded for invalid user admin from 203.0.113.7 port 40001 ssh2 [preauth]' },
    { t: 3, pid: 200, msg: 'Disconnecting invalid user admin 203.0.113.7 port 40001: Too many authentication failures [preauth]' },
    { t: 3, pid: 200, msg: 'PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.66 ' },
  ]);
  assert.deepEqual(updates[0], [{ kind: 'auth-failure', address: '203.0.113.7', port: 40001, user: 'admin', invalidUser: true, method: null, ts: T0, evidence: { file: 'auth.log', line: 1 } }]);
  assert.equal(updates[3][0].kind, 'auth-failure');
  assert.equal((updates[3][0] as { method: string }).method, 'password');
  assert.deepEqual(updates[5].map((u) => u.kind), ['connection-closed']);
  assert.deepEqual(updates[6], [], 'the trailing PAM line belongs to the finished connection');
  const c = result.connections![0];
  assert.deepEqual([c.outcome, c.detail, c.phase, c.users, c.methods, c.failures], ['auth_failed', 'max_auth_tries', 'auth', ['admin'], ['password'], 1]);
  assert.deepEqual(c.evidence.map((e) => e.line), [1, 2, 3, 4, 5, 6]);
  assert.equal(result.connections!.length, 1);
  // One logged failure, but `maximum authentication attempts exceeded` on a password login: at least 3 attempts (MaxAuthTries 6 / 2), never 0.
  assert.equal(c.attemptsAtLeast, 3);
  // One connection, one user name, one logged password (the other attempts at INFO were keys): not enough to call it brute force.
  assert.deepEqual(result.sources.map((s) => [s.address, s.class, s.attempts, s.attemptsAtLeast]), [['203.0.113.7', 'unknown', 3, true]]);
  assert.match(result.sources[0].why, /1 connection with failed logins, at least 3 attempts/);
  assert.ok(!JSON.stringify(result).includes('198.51.100.66"'), 'the rhost= text of the PAM summary line is never an address');
});

test('login: the user child joins by (address, port); trailing PAM lines on the monitor do not start a connection', () => {
  const { result, updates } = run([
    { t: 0, pid: 300, msg: 'Accepted publickey for alice from 203.0.113.7 port 40001 ssh2: ED25519 SHA256:abc' },
    { t: 0, pid: 300, msg: 'pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)' },
    { t: 60, pid: 301, msg: 'Received disconnect from 203.0.113.7 port 40001:11: disconnected by user' },
    { t: 60, pid: 301, msg: 'Disconnected from user alice 203.0.113.7 port 40001' },
    { t: 60, pid: 300, msg: 'pam_unix(sshd:session): session closed for user alice' },
  ]);
  assert.equal(updates[0][0].kind, 'auth-success');
  assert.equal(result.connections!.length, 1);
  const c = result.connections![0];
  assert.deepEqual([c.outcome, c.phase, c.pids, c.disconnect], ['authenticated', 'session', [300, 301], { code: 11, message: 'disconnected by user' }]);
  assert.equal(c.start, new Date(T0).toISOString());
  assert.equal(c.end, new Date(T0 + 60_000).toISOString());
  assert.equal(result.sources[0].class, 'legit');
});

test('trap 6 (9.8+): Connection closed without [preauth] after Accepted for the same pair is a session end', () => {
  const { result } = run([
    { t: 0, pid: 400, program: 'sshd-session', msg: 'Accepted password for bob from 203.0.113.7 port 40001 ssh2' },
    { t: 30, pid: 401, program: 'sshd-session', msg: 'Connection closed by 203.0.113.7 port 40001' },
    { t: 31, pid: 402, program: 'sshd-session', msg: 'Connection closed by 203.0.113.7 port 40002' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'authenticated', 'session_closed'],
    ['203.0.113.7', 40002, 'closed_before_ident', 'banner_phase'],
  ]);
  assert.equal(result.sources[0].class, 'legit');
});

test('PID reuse: a new client address or Connection from on the same pid starts a new connection', () => {
  const { result } = run([
    { t: 0, pid: 500, msg: 'Connection closed by 203.0.113.7 port 40001' },
    { t: 10, pid: 500, msg: 'Invalid user x from 203.0.113.8 port 40002' },
    { t: 11, pid: 500, msg: 'Connection closed by invalid user x 203.0.113.8 port 40002 [preauth]' },
    { t: 20, pid: 501, msg: 'Connection from 203.0.113.9 port 40003 on 192.0.2.1 port 22' },
    { t: 400, pid: 501, msg: 'Connection from 203.0.113.10 port 40004 on 192.0.2.1 port 22' },
    { t: 400, pid: 501, msg: 'Connection closed by 203.0.113.10 port 40004 [preauth]' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'closed_before_ident', 'banner_phase'],
    ['203.0.113.8', 40002, 'auth_failed', 'closed'],
    ['203.0.113.9', 40003, 'timeout', 'login_grace_time'],
    ['203.0.113.10', 40004, 'closed_after_ident', 'closed_during_kex'],
  ]);
  assert.equal(result.connections![2].inferred, true);
  assert.equal(result.summary.inferredTimeouts, 1);
});

test('MaxStartups: drop lines are their own dropped records; drops from sources that also logged in are counted', () => {
  const { result } = run([
    { t: 0, pid: 1, msg: 'error: beginning MaxStartups throttling' },
    { t: 0, pid: 1, msg: 'drop connection #10 from [203.0.113.7]:40001 on [192.0.2.1]:22 past MaxStartups' },
    { t: 1, pid: 1, msg: 'drop connection #10 from [198.51.100.5]:50001 on [192.0.2.1]:22 past MaxStartups' },
    { t: 5, pid: 600, msg: 'Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc' },
    { t: 9, pid: 1, msg: 'exited MaxStartups throttling after 00:00:09, 25 connections dropped' },
  ]);
  const dropped = result.connections!.filter((c) => c.outcome === 'dropped');
  assert.deepEqual(dropped.map((c) => [c.src, c.srcPort, c.detail, c.local, c.pid]), [
    ['203.0.113.7', 40001, 'maxstartups', '192.0.2.1', 1],
    ['198.51.100.5', 50001, 'maxstartups', '192.0.2.1', 1],
  ]);
  const d = result.summary.drops;
  assert.deepEqual([d.logged, d.reportedByThrottleLines, d.throttlingEpisodes, d.fromLegitSources, d.legitSourcesAffected], [2, 25, 1, 1, 1]);
  assert.ok(result.summary.findings.some((f) => f.includes('your own users were turned away')));
  assert.match(result.summary.findings[0], /^In short: sshd turned away 1 connection from addresses that also log in successfully/);
  assert.deepEqual(result.events.map((e) => [e.type, e.count ?? null]), [['maxstartups_begin', null], ['maxstartups_end', 25]]);
  assert.equal(result.era.range, '8.4–9.4'.replace('9.4', '9.7'));
});

test('9.8+: the listener timeout names the session pid; the 9.8p1 swapped label is resolved by known local addresses', () => {
  const { result } = run([
    { t: 0, pid: 1, msg: 'Server listening on 192.0.2.1 port 22.' },
    { t: 1, pid: 700, program: 'sshd-session', msg: 'Invalid user x from 203.0.113.7 port 40001' },
    { t: 121, pid: 1, msg: 'Timeout before authentication for connection from 203.0.113.7 to 192.0.2.1, pid = 700' },
    { t: 122, pid: 1, msg: 'Timeout before authentication for connection from 192.0.2.1 to 203.0.113.8, pid = 701' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'timeout', 'login_grace_time'],
    ['203.0.113.8', null, 'timeout', 'login_grace_time'],
  ]);
  assert.deepEqual(result.connections![0].pids, [700, 1]);
});

test('tick(now): a silent pre-auth connection is closed once LoginGraceTime has passed', () => {
  const a = new Analyzer({ loginGraceTime: 30 });
  a.push(lines([{ t: 0, pid: 800, msg: 'Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22' }])[0]);
  assert.deepEqual(a.tick(T0 + 20_000), []);
  const u = a.tick(T0 + 60_000);
  assert.equal(u.length, 1);
  assert.equal(u[0].kind, 'connection-closed');
  assert.deepEqual([(u[0] as { connection: { outcome: string; inferred?: boolean } }).connection.outcome, (u[0] as { connection: { inferred?: boolean } }).connection.inferred], ['timeout', true]);
});

test('keepConnections false: memory bounded by open connections, not by the log', () => {
  const a = new Analyzer({ keepConnections: false });
  let closed = 0;
  let maxOpen = 0;
  for (let i = 0; i < 60_000; i++) {
    const pid = 1000 + (i % 30000);
    const base = { host: 'srv', program: 'sshd', file: 'big.log', pid };
    const ts = T0 + i * 100;
    for (const u of a.push({ ...base, ts, line: 2 * i + 1, message: 'error: kex_exchange_identification: Connection closed by remote host' })) if (u.kind === 'connection-closed') closed++;
    for (const u of a.push({ ...base, ts, line: 2 * i + 2, message: `Connection closed by 198.51.100.${i % 200} port ${1024 + (i % 60000)}` })) if (u.kind === 'connection-closed') closed++;
    maxOpen = Math.max(maxOpen, a.openConnections);
  }
  const r = a.finish();
  assert.equal(closed, 60_000);
  assert.equal(r.connections, undefined);
  assert.equal(maxOpen, 0);
  assert.equal(r.sources.length, 200);
  assert.equal(r.summary.kexIdentification.connections, 60_000);
});

test('trackSources false (the guard): no per-source table, the same updates and connection records', () => {
  const story: Rec[] = [
    { t: 0, pid: 100, msg: 'error: kex_exchange_identification: Connection closed by remote host' },
    { t: 0, pid: 100, msg: 'Connection closed by 198.51.100.9 port 50000' },
    { t: 1, pid: 200, msg: 'Invalid user admin from 192.0.2.5 port 40000' },
    { t: 1, pid: 200, msg: 'Failed password for invalid user admin from 192.0.2.5 port 40000 ssh2' },
    { t: 2, pid: 200, msg: 'Connection closed by invalid user admin 192.0.2.5 port 40000 [preauth]' },
    { t: 3, pid: 300, msg: 'Accepted publickey for alice from 203.0.113.7 port 40001 ssh2: ED25519 SHA256:abc' },
    { t: 60, pid: 301, msg: 'Received disconnect from 203.0.113.7 port 40001:11: disconnected by user' },
    { t: 60, pid: 301, msg: 'Disconnected from user alice 203.0.113.7 port 40001' },
    { t: 60, pid: 300, msg: 'pam_unix(sshd:session): session closed for user alice' },
    { t: 61, pid: 400, msg: 'Connection reset by 2001:db8::5 port 1 [preauth]' },
  ];
  const tracked = run(story);
  const untracked = run(story, { trackSources: false });
  assert.deepEqual(untracked.updates, tracked.updates);
  assert.deepEqual(untracked.result.connections, tracked.result.connections);
  assert.equal(tracked.result.sources.length, 4);
  assert.deepEqual(untracked.result.sources, []);
  assert.equal(untracked.result.summary.sources, 0);
  assert.equal(untracked.result.summary.connections, tracked.result.summary.connections);
  assert.deepEqual(untracked.result.summary.outcomes, tracked.result.summary.outcomes);
});

test('hosts stay apart; unrecognised sshd lines are counted with examples; other programs are ignored', () => {
  const { result } = run([
    { t: 0, pid: 900, host: 'a', msg: 'Invalid user x from 203.0.113.7 port 40001' },
    { t: 0, pid: 900, host: 'b', msg: 'Connection closed by 203.0.113.8 port 40002' },
    { t: 1, pid: 900, host: 'a', msg: 'Connection closed by invalid user x 203.0.113.7 port 40001 [preauth]' },
    { t: 2, pid: 901, msg: 'this is not something sshd writes' },
    { t: 3, pid: 5, program: 'CRON', msg: 'Invalid user x from 198.51.100.1 port 1' },
  ]);
  assert.deepEqual(result.connections!.map((c) => [c.host, c.src, c.outcome]), [
    ['b', '203.0.113.8', 'closed_before_ident'],
    ['a', '203.0.113.7', 'auth_failed'],
  ]);
  assert.equal(result.unrecognised.count, 1);
  assert.deepEqual(result.unrecognised.examples, [{ file: 'auth.log', line: 4, text: 'this is not something sshd writes' }]);
  assert.equal(result.summary.lines.sshd, 4);
});

test('key scan, banner grab and kex failure are scanners; a failed key is an authentication attempt', () => {
  const { result } = run([
    { t: 0, pid: 10, msg: 'Connection closed by 203.0.113.7 port 40001 [preauth]' },
    { t: 1, pid: 11, msg: 'Received disconnect from 203.0.113.7 port 40002:11: Bye Bye [preauth]' },
    { t: 1, pid: 11, msg: 'Disconnected from 203.0.113.7 port 40002 [preauth]' },
    { t: 2, pid: 12, msg: 'Unable to negotiate with 203.0.113.7 port 40003: no matching host key type found. Their offer: ssh-dss [preauth]' },
    { t: 3, pid: 13, msg: 'Connection closed by authenticating user root 203.0.113.8 port 40004 [preauth]' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'closed_after_ident', 'closed_during_kex'],
    ['203.0.113.7', 40002, 'closed_after_ident', 'disconnected'],
    ['203.0.113.7', 40003, 'kex_failed', 'host_key_type'],
    ['203.0.113.8', 40004, 'auth_failed', 'closed'],
  ]);
  assert.deepEqual(result.connections![1].disconnect, { code: 11, message: 'Bye Bye' });
  // One connection that sent a user name and left: a user with the wrong key or client until it repeats, not brute force.
  assert.deepEqual(result.sources.map((s) => [s.address, s.class, s.detail]), [['203.0.113.7', 'scanner', null], ['203.0.113.8', 'unknown', 'wrong_key_or_client']]);
});

test('sshd -E logs (no pid): the address-less kex line joins the follow-up line that names the address', () => {
  const { result } = run([
    { t: 0, pid: null, program: 'sshd', host: '', msg: 'kex_exchange_identification: Connection closed by remote host' },
    { t: 0, pid: null, program: 'sshd', host: '', msg: 'Connection closed by 203.0.113.7 port 40001' },
    { t: 1, pid: null, program: 'sshd', host: '', msg: 'kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"' },
    { t: 1, pid: null, program: 'sshd', host: '', msg: 'banner exchange: Connection from 203.0.113.8 port 40002: invalid format' },
    { t: 2, pid: null, program: 'sshd', host: '', msg: 'Invalid user x from 203.0.113.9 port 40003' },
    { t: 3, pid: null, program: 'sshd', host: '', msg: 'Connection closed by invalid user x 203.0.113.9 port 40003 [preauth]' },
  ]);
  assert.deepEqual(conns(result), [
    ['203.0.113.7', 40001, 'closed_before_ident', 'closed'],
    ['203.0.113.8', 40002, 'non_ssh', 'http'],
    ['203.0.113.9', 40003, 'auth_failed', 'closed'],
  ]);
  assert.equal(result.unattributed.connections, 0);
  assert.equal(result.logLevel.level, 'INFO');
});
