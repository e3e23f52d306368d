/**
 * SourceColumns (src/classify/source-columns.ts), the Analyzer's column-wise per-source table,
 * gives the same per-source figures as adding each connection to one SourceStats per address
 * (the reference), over random connection sequences: colliding IPv4 values in the hash table,
 * growth, IPv6, user-name dedup and the 20-name cap, missing times.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SourceColumns } from '../../src/classify/source-columns.ts';
import { SourceStats } from '../../src/classify/source.ts';
import { OUTCOMES } from '../../src/vocabulary.ts';
import type { ConnectionRecord } from '../../src/connections/types.ts';

const v4 = fc.tuple(fc.constantFrom(0, 10, 192, 198, 203, 255), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map((p) => p.join('.'));
const v6 = fc.integer({ min: 0, max: 50 }).map((n) => `2001:db8::${n.toString(16)}`);
const time = fc.option(fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }), { nil: null });
const conn = fc.record({
  src: fc.oneof(v4, v4, v6),
  outcome: fc.constantFrom(...OUTCOMES),
  failures: fc.integer({ min: 0, max: 6 }),
  users: fc.array(fc.constantFrom('root', 'admin', 'ubuntu', 'test', ...Array.from({ length: 30 }, (_, i) => `u${i}`)), { maxLength: 4 }),
  start: time,
  end: time,
  kex: fc.boolean(),
});

function record(c: { src: string; outcome: (typeof OUTCOMES)[number]; failures: number; users: string[] }): ConnectionRecord {
  return { host: null, pid: 1, pids: [1], src: c.src, srcPort: 1, local: null, localPort: null, start: null, end: null, phase: 'tcp', outcome: c.outcome, detail: 'x', users: [...new Set(c.users)], methods: [], failures: c.failures, evidence: [] };
}

test('SourceColumns gives the same sources as one SourceStats per address', () => {
  fc.assert(
    fc.property(fc.array(conn, { maxLength: 3000 }), (conns) => {
      const cols = new SourceColumns();
      const ref = new Map<string, SourceStats>();
      for (const c of conns) {
        const rec = record(c);
        cols.add(c.src, rec, c.start, c.end, c.kex);
        let s = ref.get(c.src);
        if (s === undefined) ref.set(c.src, (s = new SourceStats(c.src)));
        s.add(rec, c.start, c.end);
        if (c.kex) s.kexConnections++;
      }
      const got = cols.toStats();
      assert.equal(got.length, ref.size);
      assert.equal(cols.size, ref.size);
      const byAddress = new Map(got.map((s) => [s.address, s]));
      for (const [address, s] of ref) {
        const g = byAddress.get(address);
        assert.ok(g, address);
        assert.deepEqual(g.toRecord(), s.toRecord());
        assert.equal(g.kexConnections, s.kexConnections);
        assert.equal(g.usersOmitted, s.usersOmitted);
      }
    }),
    { numRuns: 60 },
  );
});

test('SourceColumns keeps 100,000 distinct IPv4 sources apart (hash table growth)', () => {
  const cols = new SourceColumns();
  const rec = record({ src: '', outcome: 'closed_before_ident', failures: 0, users: [] });
  for (let i = 0; i < 100_000; i++) cols.add(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, rec, i, i, false);
  for (let i = 0; i < 100_000; i += 7) cols.add(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, rec, i, i + 1, true);
  const stats = cols.toStats();
  assert.equal(stats.length, 100_000);
  let twice = 0;
  for (const s of stats) {
    if (s.connections === 2) {
      twice++;
      assert.equal(s.kexConnections, 1);
    } else assert.equal(s.connections, 1);
  }
  assert.equal(twice, Math.ceil(100_000 / 7));
});
