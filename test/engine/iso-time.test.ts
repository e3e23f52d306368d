/**
 * isoTime (src/connections/iso-time.ts) writes what Date#toISOString writes, whatever the order of
 * the times it is given (its per-day and per-second caches must never leak into another time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isoTime } from '../../src/connections/iso-time.ts';

test('isoTime equals Date#toISOString for integer and fractional ms, near and far apart', () => {
  const base = fc.integer({ min: -62_000_000_000_000, max: 253_000_000_000_000 });
  const near = fc.tuple(base, fc.array(fc.integer({ min: -3000, max: 3000 }), { maxLength: 20 }));
  fc.assert(
    fc.property(fc.array(near, { maxLength: 10 }), fc.boolean(), (groups, half) => {
      for (const [b, deltas] of groups) {
        for (const d of [0, ...deltas]) {
          const ms = b + d + (half && b + d > 0 ? 0.5 : 0);
          assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
        }
      }
    }),
    { numRuns: 2000 },
  );
});
