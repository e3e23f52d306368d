/**
 * Classes that must not call a user an attacker, and outcomes whose reason says what the line says
 * (issue 9). Each case was classed wrongly before: scanner, bruteforce, or kex_failed "no common
 * algorithm". The lab proves the same with a real sshd (test/analyze-lab/classes-lab.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
function run(lines: [number, string][], opts: ConstructorParameters<typeof Analyzer>[0] = {}) {
  const a = new Analyzer(opts);
  lines.forEach(([pid, message], i) => a.push({ ts: T0 + i * 1000, host: 'srv', program: 'sshd', pid, message, file: 'auth.log', line: i + 1 } as FramedLine));
  return a.finish();
}

test('7.x session end without [preauth] and no Accepted line: logged in before the log starts, not a scanner', () => {
  const r = run([
    [300, 'Received disconnect from 198.51.100.7 port 6000:11: disconnected by user'],
    [300, 'Disconnected from 198.51.100.7 port 6000'],
  ]);
  assert.deepEqual(r.connections!.map((c) => [c.outcome, c.detail]), [['authenticated', 'logged_in_before_log']]);
  assert.deepEqual(r.sources.map((s) => [s.class, s.detail]), [['legit', 'logged_in_before_log']]);
  assert.match(r.sources[0].why, /logged in before this log starts/);
});

test('9.x session end (`Disconnected from user U A port P`) without its Accepted line: logged in, not an authentication attempt', () => {
  const r = run([
    [301, 'Received disconnect from 198.51.100.8 port 6001:11: disconnected by user'],
    [301, 'Disconnected from user alice 198.51.100.8 port 6001'],
  ]);
  assert.deepEqual(r.sources.map((s) => [s.class, s.detail]), [['legit', 'logged_in_before_log']]);
  // The same lines with [preauth] are a client that left before logging in.
  const pre = run([
    [302, 'Received disconnect from 198.51.100.9 port 6002:11: Bye Bye [preauth]'],
    [302, 'Disconnected from 198.51.100.9 port 6002 [preauth]'],
  ]);
  assert.equal(pre.sources[0].class, 'scanner');
});

test('an accepted key (Postponed publickey) not finished: unknown with the detail, never bruteforce', () => {
  const r = run([
    [400, 'Connection from 203.0.113.20 port 7000 on 192.0.2.1 port 22 rdomain ""'],
    [400, 'Postponed publickey for alice from 203.0.113.20 port 7000 ssh2 [preauth]'],
    [400, 'Connection closed by authenticating user alice 203.0.113.20 port 7000 [preauth]'],
    [401, 'Connection from 203.0.113.20 port 7001 on 192.0.2.1 port 22 rdomain ""'],
    [401, 'Postponed publickey for alice from 203.0.113.20 port 7001 ssh2 [preauth]'],
    [401, 'Connection closed by authenticating user alice 203.0.113.20 port 7001 [preauth]'],
    [402, 'Connection from 203.0.113.20 port 7002 on 192.0.2.1 port 22 rdomain ""'],
    [402, 'Postponed publickey for alice from 203.0.113.20 port 7002 ssh2 [preauth]'],
    [402, 'Connection closed by authenticating user alice 203.0.113.20 port 7002 [preauth]'],
  ]);
  assert.deepEqual(r.connections!.map((c) => c.detail), ['authorized_key_not_finished', 'authorized_key_not_finished', 'authorized_key_not_finished']);
  assert.deepEqual(r.sources.map((s) => [s.class, s.detail]), [['unknown', 'authorized_key']]);
  assert.match(r.sources[0].why, /holds an authorized key/);
});

test('one refused key, No supported authentication methods once, or one ssh run of mistyped passwords: unknown (wrong key or client); repeated: bruteforce', () => {
  const once = run([
    [500, 'Connection closed by authenticating user bob 203.0.113.30 port 7100 [preauth]'],
    [501, 'error: Received disconnect from 203.0.113.31 port 7101:14: No supported authentication methods available [preauth]'],
    [501, 'Disconnected from authenticating user carol 203.0.113.31 port 7101 [preauth]'],
  ]);
  assert.deepEqual(once.sources.map((s) => [s.address, s.class, s.detail]).sort(), [['203.0.113.30', 'unknown', 'wrong_key_or_client'], ['203.0.113.31', 'unknown', 'wrong_key_or_client']]);
  const users = run([
    [600, 'Invalid user admin from 203.0.113.40 port 7200'],
    [600, 'Connection closed by invalid user admin 203.0.113.40 port 7200 [preauth]'],
    [601, 'Invalid user oracle from 203.0.113.40 port 7201'],
    [601, 'Connection closed by invalid user oracle 203.0.113.40 port 7201 [preauth]'],
  ]);
  assert.deepEqual(users.sources.map((s) => [s.class, s.detail]), [['bruteforce', 'repeated_attempts']]);
  // ssh prompts three times per run (NumberOfPasswordPrompts): three mistyped passwords on one connection, and a retry, are a person.
  const failed = (pid: number, port: number, n: number): [number, string][] => [
    ...Array.from({ length: n }, (): [number, string] => [pid, `Failed password for alice from 203.0.113.41 port ${port} ssh2`]),
    [pid, `Connection closed by authenticating user alice 203.0.113.41 port ${port} [preauth]`],
  ];
  const oneRun = run(failed(700, 7300, 3));
  assert.deepEqual(oneRun.sources.map((s) => [s.class, s.detail, s.attempts]), [['unknown', 'wrong_key_or_client', 3]]);
  assert.match(oneRun.sources[0].why, /more than 3 failed passwords on one connection/);
  const retried = run([...failed(700, 7300, 3), ...failed(701, 7301, 3)]);
  assert.deepEqual(retried.sources.map((s) => [s.class, s.attempts]), [['unknown', 6]]);
  // More than ssh prompts for on one connection is a program; so is a third failed connection.
  const program = run(failed(700, 7300, 4));
  assert.deepEqual(program.sources.map((s) => [s.class, s.detail, s.attempts]), [['bruteforce', 'repeated_attempts', 4]]);
  const third = run([...failed(700, 7300, 1), ...failed(701, 7301, 1), ...failed(702, 7302, 1)]);
  assert.deepEqual(third.sources.map((s) => [s.class]), [['bruteforce']]);
});

test('maximum authentication attempts exceeded at INFO: at least MaxAuthTries/2 attempts, never 0; attempts and connections named apart', () => {
  const lines: [number, string][] = [];
  for (let i = 0; i < 4; i++) {
    lines.push([800 + i, `error: maximum authentication attempts exceeded for root from 203.0.113.50 port ${7400 + i} ssh2 [preauth]`]);
    lines.push([800 + i, `Disconnecting authenticating user root 203.0.113.50 port ${7400 + i}: Too many authentication failures [preauth]`]);
  }
  const r = run(lines);
  assert.deepEqual(r.connections!.map((c) => [c.failures, c.attemptsAtLeast]), [[0, 3], [0, 3], [0, 3], [0, 3]]);
  const s = r.sources[0];
  assert.deepEqual([s.class, s.attempts, s.attemptsAtLeast], ['bruteforce', 12, true]);
  assert.match(s.why, /^4 connections with failed logins, at least 12 attempts/);
  assert.doesNotMatch(s.why, /\b0 failed/);
  // MaxAuthTries from the server's configuration.
  const ten = run(lines.slice(0, 2), { maxAuthTries: 10 });
  assert.equal(ten.connections![0].attemptsAtLeast, 5);
});

test('Broken pipe right after identification: the client went away; MAC errors are not "no common algorithm"; TCP wrappers are not MaxStartups', () => {
  const r = run([
    [900, 'ssh_dispatch_run_fatal: Connection from 203.0.113.60 port 7500: Broken pipe [preauth]'],
    [901, 'ssh_dispatch_run_fatal: Connection from 203.0.113.61 port 7501: message authentication code incorrect [preauth]'],
    [902, 'refused connect from host.example (203.0.113.62)'],
  ]);
  const c = Object.fromEntries(r.connections!.map((x) => [x.src, x]));
  assert.deepEqual([c['203.0.113.60'].outcome, c['203.0.113.60'].detail], ['closed_after_ident', 'client_gone_during_kex']);
  assert.match(c['203.0.113.60'].reason!, /client went away/);
  assert.deepEqual([c['203.0.113.61'].outcome, c['203.0.113.61'].detail], ['kex_failed', 'mac_error']);
  assert.doesNotMatch(c['203.0.113.61'].reason!, /no (matching|common)/);
  const s = Object.fromEntries(r.sources.map((x) => [x.address, x]));
  assert.doesNotMatch(s['203.0.113.61'].why, /no common algorithm/);
  assert.match(s['203.0.113.62'].why, /TCP wrappers/);
  assert.doesNotMatch(s['203.0.113.62'].why, /MaxStartups/);
  assert.doesNotMatch(r.summary.findings.join('\n'), /no algorithm in common/);
});

test('TCP-wrappers refusals of a user who logs in are not "raise MaxStartups"', () => {
  const r = run([
    [950, 'Accepted publickey for alice from 203.0.113.70 port 7600 ssh2: ED25519 SHA256:abc'],
    [951, 'refused connect from 203.0.113.70 (203.0.113.70)'],
  ]);
  assert.equal(r.summary.drops.fromLegitSources, 0);
  assert.ok(!r.summary.advice.some((a) => a.id === 'maxstartups.raise'));
});
