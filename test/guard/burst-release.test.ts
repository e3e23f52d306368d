/**
 * src/guard/burst-release.ts: the policy releases once per burst of at least N lines, only when
 * the guard has gone idle; `releaseHeap` runs a real memory-reducing GC of this V8 (the heap's
 * committed size drops after a burst of garbage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BurstPolicy, FOLLOW_UP_TICKS, releaseHeap } from '../../src/guard/burst-release.ts';

test('a release once per burst of at least minLines, on the first idle tick', () => {
  const p = new BurstPolicy(1000, 1000); // the follow-up (next test) out of these ticks' reach
  assert.equal(p.onTick(0), false, 'nothing read');
  assert.equal(p.onTick(600), false, 'reading');
  assert.equal(p.onTick(1200), false, 'still reading (1200 lines, not idle)');
  assert.equal(p.onTick(1200), true, 'idle after 1200 lines');
  assert.equal(p.onTick(1200), false, 'once per burst');
  assert.equal(p.onTick(1500), false);
  assert.equal(p.onTick(1500), false, 'a burst of 300 lines is not worth it');
  assert.equal(p.onTick(2400), false);
  assert.equal(p.onTick(2400), false, 'nor one of 900 after a pause: bursts do not add up across idle ticks');
  assert.equal(p.onTick(3000), false);
  assert.equal(p.onTick(3500), false);
  assert.equal(p.onTick(3500), true, 'a burst of 1100 lines over two ticks');
});

test('lines without a pause count as one burst, released at the pause; a trickle with pauses never is', () => {
  const p = new BurstPolicy(1000, 1000);
  let total = 0;
  for (let i = 0; i < 100; i++) assert.equal(p.onTick((total += 50)), false);
  assert.equal(p.onTick(total), true);
  for (let i = 0; i < 100; i++) {
    assert.equal(p.onTick((total += 50)), false);
    assert.equal(p.onTick(total), false, 'a pause after 50 lines');
  }
});

test('one follow-up release FOLLOW_UP_TICKS after a burst (past the tracker’s trailer window), at an idle tick, then none', () => {
  assert.ok(FOLLOW_UP_TICKS * 1000 > 60_000, 'past the tracker’s 60 s trailer window (ticks are seconds)');
  const p = new BurstPolicy(1000);
  let total = 0;
  assert.equal(p.onTick((total += 5000)), false);
  assert.equal(p.onTick(total), true, 'the burst');
  const fired: number[] = [];
  for (let t = 1; t <= 3 * FOLLOW_UP_TICKS; t++) {
    // a trickle: 10 lines on every third tick (the follow-up waits for an idle tick)
    if (t % 3 === 0) total += 10;
    if (p.onTick(total)) fired.push(t);
  }
  assert.equal(fired.length, 1, `one follow-up, fired at ticks ${fired.join(', ')}`);
  assert.ok(fired[0] >= FOLLOW_UP_TICKS && fired[0] <= FOLLOW_UP_TICKS + 1, `at tick ${fired[0]}`);
  // A new burst re-arms it.
  assert.equal(p.onTick((total += 5000)), false);
  assert.equal(p.onTick(total), true);
  let again = 0;
  for (let t = 1; t <= FOLLOW_UP_TICKS + 2; t++) if (p.onTick(total)) again++;
  assert.equal(again, 1);
});

test('releaseHeap gives the heap pages of a burst of garbage back', () => {
  let keep: { i: number; s: string }[] | null = [];
  for (let i = 0; i < 1_500_000; i++) keep.push({ i, s: `line ${i}` });
  const grown = process.memoryUsage().heapTotal;
  keep = null;
  const ms = releaseHeap();
  assert.equal(typeof ms, 'number', 'this V8 offers the gc function');
  const after = process.memoryUsage().heapTotal;
  assert.ok(after < grown / 2, `heap committed ${Math.round(grown / 1e6)} MB before, ${Math.round(after / 1e6)} MB after`);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc is not exposed to the guard’s own context');
});
