/**
 * sshd's admission rules as ported (sshd.c should_drop_connection, srclimit.c penalties), the
 * replay over seeds, and the properties the simulator must keep, on plain data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  admissionSettings,
  dropPercent,
  penaltyDefaults,
  SettingsError,
  shouldDropConnection,
  simulateRun,
  simulateSetting,
  type AdmissionSettings,
  type Arrival,
  type Ending,
} from '../../src/simulate/index.ts';

const S = (start: number, rate: number, full: number, extra: Partial<AdmissionSettings> = {}): AdmissionSettings => ({
  maxStartups: { start, rate, full },
  perSource: null,
  netBlock: { v4: 32, v6: 128 },
  penalties: null,
  ...extra,
});

function arr(at: number, holdMs: number, source: string | null = '198.51.100.1', o: { user?: boolean; ending?: Ending } = {}): Arrival {
  return { at, spreadMs: 0, holdMs, source, user: o.user ?? false, ending: o.ending ?? 'noauth', estimated: false };
}

test('should_drop_connection: the C integer arithmetic of sshd.c', () => {
  const ms = { start: 10, rate: 30, full: 100 };
  assert.equal(dropPercent(9, ms), 0);
  assert.equal(dropPercent(10, ms), 30);
  assert.equal(dropPercent(11, ms), 30); // 70*1/90 truncates to 0
  assert.equal(dropPercent(55, ms), 65); // 70*45/90 = 35
  assert.equal(dropPercent(99, ms), 99); // 70*89/90 = 69.2 → 69
  assert.equal(dropPercent(100, ms), 100);
  assert.equal(shouldDropConnection(55, ms, 64), true);
  assert.equal(shouldDropConnection(55, ms, 65), false);
  assert.equal(shouldDropConnection(9, ms, 0), false);
  assert.equal(shouldDropConnection(100, ms, 99), true);
  // rate 100: everything from start on is dropped
  assert.equal(shouldDropConnection(3, { start: 3, rate: 100, full: 60 }, 99), true);
  // 3:50:6 as the lab uses it: 50, 66, 83 percent at 3, 4, 5 open
  assert.deepEqual([3, 4, 5, 6].map((s) => dropPercent(s, { start: 3, rate: 50, full: 6 })), [50, 66, 83, 100]);
});

test('a hard cap drops exactly what does not fit; slots freed at the arrival instant are free', () => {
  const a = [arr(0, 1000), arr(1, 1000), arr(2, 1000), arr(3, 1000), arr(4, 1000, '198.51.100.2', { user: true }), arr(1000, 10)];
  const r = simulateRun(a, S(4, 100, 4), 1);
  assert.equal(r.dropped, 1);
  assert.equal(r.droppedUsers, 1);
  assert.equal(r.usersAffected, 1);
  assert.equal(r.peak, 4);
  assert.equal(r.byReason.maxstartups, 1);
});

test('PerSourceMaxStartups caps one block, others still get in; PerSourceNetBlockSize groups an IPv6 /64', () => {
  const a = [arr(0, 5000, '2001:db8::1'), arr(1, 5000, '2001:db8::2'), arr(2, 5000, '2001:db8::3'), arr(3, 5000, '2001:db8:1::1')];
  assert.equal(simulateRun(a, S(10, 30, 100, { perSource: 2 }), 1).byReason.per_source, 0, 'each /128 is its own block');
  const grouped = simulateRun(a, S(10, 30, 100, { perSource: 2, netBlock: { v4: 32, v6: 64 } }), 1);
  assert.equal(grouped.byReason.per_source, 1, 'the third address of one /64 is refused');
  assert.equal(grouped.dropped, 1);
});

test('PerSourcePenalties: authfail accumulates past min (15 s) and refuses the source until it expires; the exempt list keeps it in', () => {
  const pen = penaltyDefaults('9.9')!;
  const src = '203.0.113.5';
  // four failed logins 1 s apart, each holding 500 ms: 5+5+5 = 15 (not > 15), the fourth makes it active
  const a: Arrival[] = [0, 1000, 2000, 3000].map((t) => arr(t, 500, src, { ending: 'authfail' }));
  a.push(arr(4000, 500, src, { user: true, ending: 'none' }), arr(4100, 500, '203.0.113.6', { ending: 'none' }));
  const r = simulateRun(a, S(10, 30, 100, { penalties: pen }), 1);
  assert.equal(r.byReason.penalty, 1, 'the fifth connection is refused');
  assert.equal(r.droppedUsers, 1);
  const three = simulateRun(a.filter((x) => x.at !== 3000), S(10, 30, 100, { penalties: pen }), 1);
  assert.equal(three.byReason.penalty, 0, 'three failures (15 s) are not above min');
  const later = simulateRun([...a.slice(0, 4), arr(3500 + 20_100, 10, src, { ending: 'none' })], S(10, 30, 100, { penalties: pen }), 1);
  assert.equal(later.byReason.penalty, 0, 'the penalty (20 s) has expired 20 s after the last charge');
  const exempt = simulateRun(a, S(10, 30, 100, { penalties: { ...pen, exempt: ['203.0.113.0/28'] } }), 1);
  assert.equal(exempt.dropped, 0);
});

test('PerSourcePenalties defaults per version (servconf.c)', () => {
  assert.equal(penaltyDefaults('9.7'), null);
  assert.equal(penaltyDefaults(null), null);
  const v98 = penaltyDefaults('OpenSSH_9.8p1')!;
  assert.equal(v98.grace, 20);
  assert.equal(v98.refuseconnection, null);
  assert.equal(v98.invaliduser, null);
  const v99 = penaltyDefaults('9.9')!;
  assert.equal(v99.grace, 10);
  assert.equal(v99.refuseconnection, 10);
  assert.equal(penaltyDefaults('10.2')!.invaliduser, null);
  assert.equal(penaltyDefaults('10.3')!.invaliduser, 5);
  assert.deepEqual([v99.crash, v99.authfail, v99.noauth, v99.min, v99.max, v99.maxSources4], [90, 5, 1, 15, 600, 65536]);
});

test('admission settings from sshd_config values; bad values name the option', () => {
  const s = admissionSettings({ maxstartups: '30:30:200', persourcemaxstartups: '5', persourcenetblocksize: '24:64', persourcepenalties: 'authfail:30s noauth:0 max:1h', persourcepenaltyexemptlist: '192.0.2.0/24,2001:db8::/48' }, '10.0');
  assert.deepEqual(s.maxStartups, { start: 30, rate: 30, full: 200 });
  assert.equal(s.perSource, 5);
  assert.deepEqual(s.netBlock, { v4: 24, v6: 64 });
  assert.equal(s.penalties!.authfail, 30);
  assert.equal(s.penalties!.noauth, 0);
  assert.equal(s.penalties!.max, 3600);
  assert.equal(s.penalties!.grace, 10, 'unset words keep the version default');
  assert.deepEqual(s.penalties!.exempt, ['192.0.2.0/24', '2001:db8::/48']);
  assert.equal(admissionSettings({ persourcepenalties: 'no' }, '10.0').penalties, null);
  assert.deepEqual(admissionSettings({ maxstartups: '7' }, '9.2').maxStartups, { start: 7, rate: 100, full: 7 });
  assert.throws(() => admissionSettings({ maxstartups: '10:30' }, '9.2'), (e: unknown) => e instanceof SettingsError && e.option === 'MaxStartups');
  assert.throws(() => admissionSettings({ persourcepenalties: 'bogus:1' }, '9.9'), /PerSourcePenalties: unsupported word "bogus:1"/);
});

// ---- properties ----

const arrivalsArb = fc
  .array(fc.record({ at: fc.integer({ min: 0, max: 30_000 }), hold: fc.integer({ min: 0, max: 10_000 }), src: fc.integer({ min: 1, max: 6 }), user: fc.boolean(), spread: fc.constantFrom(0, 0, 1000) }), { maxLength: 120 })
  .map((xs) => xs.map((x): Arrival => ({ at: x.at, spreadMs: x.spread, holdMs: x.hold, source: `198.51.100.${x.src}`, user: x.user, ending: 'noauth', estimated: false })).sort((a, b) => a.at - b.at));

test('property: a larger hard cap (MaxStartups n, i.e. n:100:n) never drops more on the same seed', () => {
  fc.assert(
    fc.property(arrivalsArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (a, c, d, seed) => {
      return simulateRun(a, S(c + d, 100, c + d), seed).dropped <= simulateRun(a, S(c, 100, c), seed).dropped;
    }),
    { numRuns: 400 },
  );
});

test('property: a larger PerSourceMaxStartups never drops more on the same seed (MaxStartups out of reach)', () => {
  fc.assert(
    fc.property(arrivalsArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (a, c, d, seed) => {
      return simulateRun(a, S(1000, 30, 1000, { perSource: c + d }), seed).dropped <= simulateRun(a, S(1000, 30, 1000, { perSource: c }), seed).dropped;
    }),
    { numRuns: 400 },
  );
});

test('random early drop: one seed can drop more under a larger full (why recommend judges every seed, not one)', () => {
  // Two long holders open; A arrives: 1:30:4 drops it at r=50 (p 53), 1:30:5 admits it (p 47).
  // With A in, B and C meet 3 open slots under the larger setting (p 65 > r 60) and are dropped,
  // while the smaller setting admits both (p 53 ≤ 60). The draws are fixed per arrival (common random numbers).
  const a = [arr(0, 100_000), arr(1, 100_000), arr(2, 100_000), arr(3, 1), arr(5, 1)];
  const draws = [99, 99, 50, 60, 60];
  const withDraws = (ms: { start: number; rate: number; full: number }) => {
    let s = 0;
    let drops = 0;
    const open: number[] = [];
    a.forEach((x, i) => {
      while (open.length && Math.min(...open) <= x.at) open.splice(open.indexOf(Math.min(...open)), 1);
      s = open.length;
      if (shouldDropConnection(s, ms, draws[i])) drops++;
      else open.push(x.at + x.holdMs);
    });
    return drops;
  };
  assert.equal(withDraws({ start: 1, rate: 30, full: 4 }), 1);
  assert.equal(withDraws({ start: 1, rate: 30, full: 5 }), 2);
  // The simulator itself shows it too: some seed drops more under 1:30:5 than under 1:30:4.
  let found = -1;
  for (let seed = 0; seed < 50_000 && found < 0; seed++) {
    if (simulateRun(a, S(1, 30, 5), seed).dropped > simulateRun(a, S(1, 30, 4), seed).dropped) found = seed;
  }
  assert.ok(found >= 0, 'a seed where the larger full drops more');
});

test('property: zero load drops nothing; load below start drops nothing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 100 }), fc.integer(), (start, rate, seed) => {
      const s = S(start, rate, start + 10, { perSource: 1, penalties: penaltyDefaults('10.3') });
      const empty = simulateRun([], s, seed);
      // one connection at a time, each gone before the next: never more than 1 open (< start)
      const serial = Array.from({ length: 50 }, (_, i) => arr(i * 1000, 999, `192.0.2.${(i % 5) + 1}`, { ending: 'none' }));
      const r = simulateRun(serial, s, seed);
      return empty.dropped === 0 && empty.peak === 0 && r.dropped === 0 && r.peak === 1;
    }),
    { numRuns: 200 },
  );
});

test('property: deterministic by seed', () => {
  fc.assert(
    fc.property(arrivalsArb, fc.integer(), (a, seed) => {
      const s = S(3, 40, 8, { perSource: 3, penalties: penaltyDefaults('9.9') });
      assert.deepEqual(simulateRun(a, s, seed), simulateRun(a, s, seed));
      assert.deepEqual(simulateSetting(a, s, { runs: 5, seed }), simulateSetting(a, s, { runs: 5, seed }));
      return true;
    }),
    { numRuns: 100 },
  );
});

test('spread over seeds: min ≤ mean ≤ max, and seeds differ under random early drop', () => {
  const a = Array.from({ length: 200 }, (_, i) => arr(i * 100, 1500, `198.51.100.${(i % 50) + 1}`));
  const r = simulateSetting(a, S(5, 30, 30), { runs: 30, seed: 7 });
  assert.ok(r.dropped.min <= r.dropped.mean && r.dropped.mean <= r.dropped.max);
  assert.ok(r.dropped.min < r.dropped.max, `30 seeds give different counts: ${JSON.stringify(r.dropped)}`);
  assert.equal(r.runs, 30);
  assert.equal(r.arrivals, 200);
});
