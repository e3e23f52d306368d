/**
 * Arrivals from connection records (the shape `analyze --json` streams), and recommend() with
 * its advice, on plain data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ArrivalCollector, arrivalsFromConnections, authTimesFrom, admissionSettings, describeSettings, recommend, penaltyDefaults, type Arrival } from '../../src/simulate/index.ts';
import { maxStartupsSimulationAdvice } from '../../src/advice/maxstartups-simulation.ts';
import { adviceLine } from '../../src/advice/index.ts';
import type { ConnectionRecord } from '../../src/connections/types.ts';
import type { Outcome } from '../../src/vocabulary.ts';
import { Analyzer } from '../../src/engine/analyzer.ts';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function rec(src: string | null, port: number, start: number, end: number | null, outcome: Outcome, detail = 'x', host: string | null = 'srv'): ConnectionRecord {
  return { host, pid: 100 + port, pids: [100 + port], src, srcPort: port, local: '192.0.2.1', localPort: 22, start: iso(T0 + start), end: end === null ? null : iso(T0 + end), phase: 'tcp', outcome, detail, users: [], methods: [], failures: 0, evidence: [] };
}

test('arrivals: holds from first to last line, auth times end the hold of a login, dropped ones estimated from their source', () => {
  const records = [
    rec('192.0.2.10', 1, 0, 3_600_000, 'authenticated'), // a session of an hour: the hold is until Accepted
    rec('192.0.2.10', 2, 10_000, 20_000, 'authenticated'), // no auth time: min(duration, 1 s)
    rec('192.0.2.10', 3, 30_000, 30_000, 'dropped', 'maxstartups'), // your user, refused: estimated
    rec('198.51.100.7', 4, 1_250, 9_250, 'closed_before_ident'),
    rec('198.51.100.7', 5, 2_500, 4_500, 'auth_failed'),
    rec('198.51.100.7', 6, 3_000, 3_000, 'dropped', 'maxstartups'),
    rec('198.51.100.8', 7, 4_000, 4_000, 'dropped', 'penalty'), // no admitted connection of its own
    rec('198.51.100.9', 8, 5_000, 500_000, 'timeout'), // capped at LoginGraceTime
    rec('203.0.113.1', 9, 6_000, 6_100, 'dropped', 'tcp_wrappers'), // admitted by the listener
    rec('198.51.100.7', 10, 7_000, null, 'unknown', 'open_at_end_of_log'),
    rec('198.51.100.7', 11, 7_000, 8_000, 'closed_after_ident', 'x', 'other-host'),
  ];
  records.push({ ...rec('198.51.100.7', 12, 0, 0, 'closed_before_ident'), start: null, end: null });
  const set = arrivalsFromConnections(records, { host: 'srv', loginGraceTime: 120, authTimes: new Map([['192.0.2.10 1', [T0 - 86_400_000, T0 + 800]], ['192.0.2.10 2', [T0 + 7_200_000]]]) });
  assert.deepEqual(set.skipped, { noTime: 1, otherHost: 1 });
  assert.equal(set.resolutionMs, 1, 'millisecond times: exact');
  assert.deepEqual(set.userSources, ['192.0.2.10']);
  assert.equal(set.estimated, 3);
  const byAt = new Map(set.arrivals.map((a) => [a.at - T0, a]));
  assert.equal(byAt.get(0)!.holdMs, 800);
  assert.equal(byAt.get(10_000)!.holdMs, 1000, 'the auth time of a later connection on the same port is not its own');
  assert.deepEqual(byAt.get(30_000), { at: T0 + 30_000, spreadMs: 0, holdMs: 800, source: '192.0.2.10', user: true, ending: 'none', estimated: true }); // median of 800 and 1000 (lower)
  assert.equal(byAt.get(1_250)!.ending, 'noauth');
  assert.equal(byAt.get(2_500)!.ending, 'authfail');
  const d7 = byAt.get(3_000)!;
  assert.equal(d7.estimated, true);
  assert.equal(d7.holdMs, 8_000, "median of the source's own holds (8 s, 2 s, 120 s)");
  const d8 = byAt.get(4_000)!;
  assert.equal(d8.holdMs, 8_000, 'median over all admitted non-user connections');
  assert.equal(byAt.get(5_000)!.holdMs, 120_000);
  assert.equal(byAt.get(5_000)!.ending, 'grace');
  assert.equal(byAt.get(6_000)!.estimated, false);
  assert.equal(byAt.get(7_000)!.holdMs, 120_000);
  assert.ok(set.arrivals.every((a, i) => i === 0 || set.arrivals[i - 1].at <= a.at), 'sorted by time');
});

test('arrivals: a source that is not an IP address counts as unknown; settings in one line', () => {
  const set = arrivalsFromConnections([rec('not-an-ip', 1, 0, 500, 'authenticated'), rec('2001:DB8:0:0::1', 2, 0, 500, 'auth_failed')]);
  assert.deepEqual(set.arrivals.map((a) => a.source), [null, '2001:db8::1']);
  assert.deepEqual(set.userSources, []);
  assert.equal(describeSettings(admissionSettings({ persourcemaxstartups: '5', persourcenetblocksize: '32:64' }, '9.9')), 'MaxStartups 10:30:100, PerSourceMaxStartups 5 (/32, /64), PerSourcePenalties on');
  assert.equal(describeSettings(admissionSettings({}, '9.2')), 'MaxStartups 10:30:100, no PerSourcePenalties');
});

test('arrivals: whole-second logs spread each arrival over its second and give same-second connections 1/3 s', () => {
  const set = arrivalsFromConnections([rec('198.51.100.1', 1, 0, 0, 'closed_before_ident'), rec('198.51.100.1', 2, 1000, 4000, 'closed_before_ident')]);
  assert.equal(set.resolutionMs, 1000);
  assert.deepEqual(set.arrivals.map((a) => [a.spreadMs, a.holdMs]), [[1000, 333], [1000, 3000]]);
});

test('arrivals from the real engine: Analyzer records and its auth-success updates', () => {
  const a = new Analyzer();
  const lines = [
    [0, 10, 'Connection from 192.0.2.10 port 50000 on 192.0.2.1 port 22 rdomain ""'],
    [2, 10, 'Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:abc'],
    [900, 10, 'Received disconnect from 192.0.2.10 port 50000:11: disconnected by user'],
    [900, 10, 'Disconnected from user alice 192.0.2.10 port 50000'],
  ] as const;
  const updates = [];
  for (const [i, [t, pid, msg]] of lines.entries()) updates.push(...a.push({ ts: T0 + t * 1000, host: 'srv', program: 'sshd', pid, message: msg, file: 'auth.log', line: i + 1 }));
  const { finalUpdates, connections } = a.finish();
  updates.push(...finalUpdates);
  const set = arrivalsFromConnections(connections!, { authTimes: authTimesFrom(updates) });
  assert.equal(set.arrivals.length, 1);
  assert.equal(set.arrivals[0].user, true);
  assert.equal(set.arrivals[0].holdMs, 2000, 'held until Accepted, not the 15-minute session');
  // The same, streamed: records and auth-success updates as they come, nothing kept but the collector.
  const c = new ArrivalCollector();
  for (const u of updates) {
    if (u.kind === 'connection-closed') c.add(u.connection);
    else if (u.kind === 'auth-success' && u.ts !== null) c.authSuccess(u.address, u.port, u.ts);
  }
  assert.deepEqual(c.finish(), set);
});

// A flood: 20 scanner addresses each holding slots 20 s, 2 connections a second; 3 users log in now and then.
function flood(opts: { userBurst?: number } = {}): Arrival[] {
  const out: Arrival[] = [];
  for (let i = 0; i < 600; i++) out.push({ at: i * 500, spreadMs: 0, holdMs: 20_000, source: `198.51.100.${(i % 20) + 1}`, user: false, ending: 'noauth', estimated: false });
  for (let i = 0; i < 30; i++) {
    for (let k = 0; k < (opts.userBurst ?? 1); k++) out.push({ at: 3_000 + i * 9_000 + k, spreadMs: 0, holdMs: 800, source: `192.0.2.${(i % 3) + 10}`, user: true, ending: 'none', estimated: false });
  }
  return out.sort((a, b) => a.at - b.at);
}

test('recommend: the smallest MaxStartups that lets every user in, keeping the cap; advice with the drop-in line', () => {
  const current = admissionSettings({ maxstartups: '10:30:60' }, '9.2');
  const rec = recommend(flood(), current, { runs: 20, seed: 1 });
  assert.equal(rec.status, 'change');
  assert.ok(rec.current.droppedUsers.min > 0, 'today your users are dropped in every run');
  assert.equal(rec.best!.result.droppedUsers.max, 0);
  assert.equal(rec.best!.settings.maxStartups.full, 60, 'the cap stays: raising start is enough (peak ~41)');
  assert.deepEqual(rec.best!.lines, ['MaxStartups 50:30:60']);
  assert.deepEqual(rec.table.map((r) => r.label), ['current', 'sshd default', 'recommended']);
  const adv = maxStartupsSimulationAdvice(rec)!;
  assert.equal(adv.id, 'maxstartups.simulated');
  assert.deepEqual(adv.changes.map((c) => c.text), ['MaxStartups 50:30:60']);
  assert.equal(adv.commands[0], 'sshd -t');
  assert.match(adv.commands[1], /^systemctl reload ssh/);
  assert.match(adv.summary, /none of theirs is refused in any run/);
  assert.match(adviceLine(adv), /`MaxStartups 50:30:60` in \/etc\/ssh\/sshd_config\.d\/.*; then `sshd -t && systemctl reload ssh/);
});

test('recommend: one source hogging the slots is capped with PerSourceMaxStartups before MaxStartups is raised', () => {
  const a: Arrival[] = [];
  for (let i = 0; i < 300; i++) a.push({ at: i * 200, spreadMs: 0, holdMs: 30_000, source: '203.0.113.66', user: false, ending: 'noauth', estimated: false });
  for (let i = 0; i < 20; i++) a.push({ at: 10_000 + i * 2_500, spreadMs: 0, holdMs: 500, source: '192.0.2.20', user: true, ending: 'none', estimated: false });
  a.sort((x, y) => x.at - y.at);
  const rec = recommend(a, admissionSettings({}, '9.2'), { runs: 10 });
  assert.equal(rec.status, 'change');
  assert.deepEqual(rec.best!.lines, ['PerSourceMaxStartups 5']);
  assert.equal(rec.best!.result.peak.max, 5 + 1);
});

test('recommend: penalties on your own automation are lifted with an exempt list', () => {
  const a: Arrival[] = [];
  // a CI host that connects every second and fails its first key (one login in two fails; sshd 10.0 defaults)
  for (let i = 0; i < 60; i++) a.push({ at: i * 1_000, spreadMs: 0, holdMs: 300, source: '192.0.2.30', user: true, ending: i % 2 === 0 ? 'authfail' : 'none', estimated: false });
  const rec = recommend(a, admissionSettings({}, '10.0'), { runs: 5 });
  assert.ok(rec.current.byReason.penalty.min > 0, 'today penalties refuse it');
  assert.equal(rec.status, 'change');
  assert.deepEqual(rec.best!.lines, ['PerSourcePenaltyExemptList 192.0.2.30/32']);
});

test('recommend: nothing to change, no users, and none works (with why)', () => {
  const quiet: Arrival[] = [{ at: 0, spreadMs: 0, holdMs: 100, source: '192.0.2.1', user: true, ending: 'none', estimated: false }];
  assert.equal(recommend(quiet, admissionSettings({}, '9.2')).status, 'no_change_needed');
  assert.equal(maxStartupsSimulationAdvice(recommend(quiet, admissionSettings({}, '9.2'))), null);
  const scanners = flood().filter((x) => !x.user);
  assert.equal(recommend(scanners, admissionSettings({}, '9.2')).status, 'no_users');
  // your users themselves open 400 connections at once: no cap up to 10× lets all in
  const burst = flood({ userBurst: 400 }).slice(0, 3000);
  const rec = recommend(burst, admissionSettings({ maxstartups: '10:30:20' }, '9.2'), { runs: 3 });
  assert.equal(rec.status, 'none_works');
  assert.match(rec.why, /No candidate up to MaxStartups \d+:30:200 keeps all of your users' connections/);
  const adv = maxStartupsSimulationAdvice(rec)!;
  assert.equal(adv.id, 'maxstartups.simulated-none');
  assert.deepEqual(adv.changes, []);
});

test('property: arrival times are the records\' ISO times to the millisecond (any shape)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 200_000 }), fc.boolean(), (start, dur, plain) => {
      const r = rec('192.0.2.1', 1, 0, 0, 'closed_before_ident');
      r.start = new Date(start).toISOString();
      r.end = new Date(start + dur).toISOString();
      if (!plain) r.start = r.start.replace('Z', '+00:00');
      const a = arrivalsFromConnections([r], { loginGraceTime: 0 }).arrivals[0];
      return a.at === start && (a.holdMs === dur || (dur < 1000 && a.holdMs === 333 && start % 1000 === 0 && (start + dur) % 1000 === 0));
    }),
    { numRuns: 500 },
  );
});
