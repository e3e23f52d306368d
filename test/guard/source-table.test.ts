/**
 * src/guard/source-table.ts: the open-addressing table of scoring windows gives the same answers
 * as a plain Map model (fast-check over random insert / update / window restart / delete /
 * expiry sequences, with colliding and near-colliding keys, growth and shrinking), plus the
 * cases that matter for the guard spelled out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SourceTable } from '../../src/guard/source-table.ts';

const ev = (line: number, file = 'auth.log') => ({ file, line });

test('a window: score adds up, restarts after the window, evidence oldest first (at most maxEvidence)', () => {
  const t = new SourceTable(2, 3);
  const k = Uint32Array.of(0xc0000201, 0, 0, 0); // 192.0.2.1
  let r = t.add(4, k, 1000, 60_000, 5, 'silent', ev(1));
  assert.equal(t.scoreAt(r), 5);
  r = t.add(4, k, 2000, 60_000, 6, 'failed password', ev(2));
  r = t.add(4, k, 3000, 60_000, 6, 'failed password', ev(3));
  r = t.add(4, k, 4000, 60_000, 6, 'failed password', ev(4));
  assert.equal(t.scoreAt(r), 23);
  assert.deepEqual(t.describe(r), {
    start: 1000,
    score: 23,
    events: 4,
    // Four events, at most three kept: the last two (maxEvidence − 1; the first is kept only while nothing is dropped).
    evidence: [
      { label: 'failed password', e: ev(3) },
      { label: 'failed password', e: ev(4) },
    ],
  });
  r = t.add(4, k, 70_000, 60_000, 1, 'silent', ev(9, 'other.log'));
  assert.deepEqual(t.describe(r), { start: 70_000, score: 1, events: 1, evidence: [{ label: 'silent', e: ev(9, 'other.log') }] });
  assert.equal(t.size, 1);
});

test('IPv4 and an IPv6 network with the same words are different sources; four-word keys use all words', () => {
  const t = new SourceTable(2);
  const w = Uint32Array.of(0xcb007105, 0, 0, 0);
  t.add(4, w, 0, 1000, 1, 'a', ev(1));
  t.add(6, w, 0, 1000, 2, 'b', ev(2));
  assert.equal(t.size, 2);
  assert.equal(t.scoreAt(t.find(4, w)), 1);
  assert.equal(t.scoreAt(t.find(6, w)), 2);
  const t4 = new SourceTable(4);
  t4.add(6, Uint32Array.of(1, 2, 3, 4), 0, 1000, 1, 'a', ev(1));
  assert.equal(t4.find(6, Uint32Array.of(1, 2, 3, 5)), -1);
  assert.notEqual(t4.find(6, Uint32Array.of(1, 2, 3, 4)), -1);
  const out = new Uint32Array(4);
  assert.equal(t4.keyAt(t4.find(6, Uint32Array.of(1, 2, 3, 4)), out), 6);
  assert.deepEqual([...out], [1, 2, 3, 4]);
});

test('a million sources: every one found, expiry sweeps them all and the columns shrink back', () => {
  const t = new SourceTable(2);
  const w = new Uint32Array(4);
  for (let i = 0; i < 1_000_000; i++) {
    w[0] = 0x20010db8;
    w[1] = i;
    t.add(6, w, i < 500_000 ? 1000 : 2000, 600_000, 1, 'silent', ev(i + 1));
  }
  assert.equal(t.size, 1_000_000);
  const full = t.bytes;
  assert.ok(full < 50 * 1024 * 1024, `${full} bytes for 1M sources`);
  for (let i = 0; i < 1_000_000; i += 9973) {
    w[1] = i;
    assert.equal(t.describe(t.find(6, w)).evidence[0].e.line, i + 1);
  }
  assert.equal(t.prune(1500), 500_000);
  assert.equal(t.size, 500_000);
  w[1] = 10;
  assert.equal(t.find(6, w), -1);
  w[1] = 600_000;
  assert.equal(t.startAt(t.find(6, w)), 2000);
  assert.equal(t.prune(3000), 500_000);
  assert.equal(t.size, 0);
  assert.ok(t.bytes < full / 4, `${t.bytes} bytes after expiry`);
});

/** The model: what the table must answer, with a Map and objects. */
interface ModelWindow {
  start: number;
  score: number;
  events: number;
  evidence: { label: string; e: { file: string; line: number } }[];
}

test('property: same answers as a Map model under random insert / update / delete / expiry', () => {
  const MAX_EV = 4;
  const WINDOW = 100;
  // Few distinct keys (so updates, deletes and re-inserts hit the same keys), both families, words that differ in one bit.
  const keyArb = fc.record({ family: fc.constantFrom<4 | 6>(4, 6), a: fc.integer({ min: 0, max: 7 }), b: fc.constantFrom(0, 1, 0x80000000, 0xffffffff) });
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), key: keyArb, dt: fc.integer({ min: 0, max: 60 }), weight: fc.integer({ min: 1, max: 9 }), label: fc.constantFrom('silent', 'failed password', 'x'.repeat(3)), file: fc.constantFrom('a.log', 'b.log', 'journal') }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const), age: fc.integer({ min: 0, max: 150 }) }) },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), fc.constantFrom<2 | 4>(2, 4), (ops, keyWords) => {
      const t = new SourceTable(keyWords, MAX_EV);
      const model = new Map<string, ModelWindow>();
      const w = new Uint32Array(4);
      const setKey = (k: { family: 4 | 6; a: number; b: number }) => {
        w[0] = k.a;
        w[1] = k.b;
        w[2] = w[3] = 0;
        return `${k.family}/${k.a}/${k.b}`;
      };
      let now = 0;
      let line = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          now += o.dt;
          const id = setKey(o.key);
          const e = { file: o.file, line: ++line };
          let m = model.get(id);
          if (!m || now - m.start > WINDOW) model.set(id, (m = { start: now, score: 0, events: 0, evidence: [] }));
          m.score += o.weight;
          m.events++;
          m.evidence.push({ label: o.label, e });
          if (m.evidence.length > MAX_EV) m.evidence.shift();
          const row = t.add(o.key.family, w, now, WINDOW, o.weight, o.label, e);
          assert.equal(t.scoreAt(row), m.score);
          assert.equal(t.eventsAt(row), m.events);
        } else if (o.kind === 'delete') {
          const id = setKey(o.key);
          assert.equal(t.delete(o.key.family, w), model.delete(id));
        } else {
          const before = now - o.age;
          let n = 0;
          for (const [id, m] of model) if (m.start < before) (model.delete(id), n++);
          assert.equal(t.prune(before), n);
        }
        assert.equal(t.size, model.size);
      }
      // Every key: present with the same window, or absent in both.
      for (const family of [4, 6] as const)
        for (let a = 0; a < 8; a++)
          for (const b of [0, 1, 0x80000000, 0xffffffff]) {
            const id = setKey({ family, a, b });
            const m = model.get(id);
            const row = t.find(family, w);
            if (!m) assert.equal(row, -1, id);
            else {
              const d = t.describe(row);
              assert.deepEqual({ start: d.start, score: d.score, events: d.events }, { start: m.start, score: m.score, events: m.events }, id);
              // Every event while there are at most maxEvidence, then the last maxEvidence - 1.
              assert.deepEqual(d.evidence, m.events <= MAX_EV ? m.evidence : m.evidence.slice(-(MAX_EV - 1)), id);
            }
          }
    }),
    { numRuns: 400 },
  );
});
