/**
 * IntMap (src/connections/int-map.ts), the tracker's pid table, behaves like a Map<number, V>:
 * same answers to get/has/size, and values() in the same (insertion) order, over random
 * operation sequences (colliding keys, deletes inside probe runs, growth, out-of-range keys).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntMap } from '../../src/connections/int-map.ts';

const key = fc.oneof(
  fc.integer({ min: 0, max: 40 }), // few keys: many collisions, deletes inside probe runs
  fc.integer({ min: -1, max: 4_194_304 }), // Linux pids, -1 (pid-less lines)
  fc.constantFrom(-0x80000000, 0x7fffffff, 2 ** 31, 9_999_999_999, 1.5), // outside the 32-bit table
);
const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({ kind: fc.constant('get' as const), key }),
);

test('IntMap answers like a Map and lists values in insertion order', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), fc.constantFrom(1, 16, 256), (ops, initial) => {
      const m = new IntMap<{ v: number }>(initial);
      const ref = new Map<number, { v: number }>();
      for (const o of ops) {
        if (o.kind === 'set') {
          const v = { v: o.value };
          m.set(o.key, v);
          ref.set(o.key, v);
        } else if (o.kind === 'delete') assert.equal(m.delete(o.key), ref.delete(o.key));
        else {
          assert.equal(m.get(o.key), ref.get(o.key));
          assert.equal(m.has(o.key), ref.has(o.key));
        }
        assert.equal(m.size, ref.size);
      }
      assert.deepEqual(m.values(), [...ref.values()]);
      assert.deepEqual(new Set(m.valuesUnordered()), new Set(ref.values()));
      assert.equal(m.valuesUnordered().length, ref.size);
      for (const k of ref.keys()) assert.equal(m.get(k), ref.get(k));
    }),
    { numRuns: 500 },
  );
});

test('IntMap: deleting while going through values() (the tracker sweep) and clear()', () => {
  const m = new IntMap<number>(16);
  for (let i = 0; i < 1000; i++) m.set(i * 7919, i);
  for (const v of m.values()) if (v % 3 === 0) m.delete(v * 7919);
  assert.equal(m.size, 666);
  assert.deepEqual(m.values(), Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 3 !== 0));
  m.clear();
  assert.equal(m.size, 0);
  assert.deepEqual(m.values(), []);
  m.set(5, 1);
  assert.equal(m.get(5), 1);
});
