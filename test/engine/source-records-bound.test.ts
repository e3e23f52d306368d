/**
 * Issue 10, "analyze on 2 million distinct sources reached 3.4 GB": `finish().sources` holds at
 * most `maxSourceRecords` records (engine MAX_SOURCE_RECORDS); every other number is over all
 * sources. Checked against the same log analysed without the bound: the summary is identical,
 * the records kept are those that logged in first and then the most active, each equal to its
 * unbounded twin, and the rest are counted in `sourcesOmitted`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

type Kind = 'scan' | 'login' | 'guess' | 'open';
/** One connection per entry: a scanner's close, a login, three wrong passwords, or one left open. */
function lines(conns: { src: number; kind: Kind }[]): FramedLine[] {
  const out: FramedLine[] = [];
  let line = 0;
  conns.forEach(({ src, kind }, i) => {
    const ts = T0 + i * 1000;
    const pid = 1000 + i;
    const a = `198.51.100.${src}`;
    const push = (dt: number, message: string) => out.push({ ts: ts + dt, host: 'srv', program: 'sshd', pid, message, file: 'auth.log', line: ++line });
    push(0, `Connection from ${a} port ${20000 + i} on 192.0.2.1 port 22 rdomain ""`);
    if (kind === 'scan') push(1, `Connection closed by ${a} port ${20000 + i} [preauth]`);
    else if (kind === 'login') push(1, `Accepted publickey for alice from ${a} port ${20000 + i} ssh2: ED25519 SHA256:x`);
    else if (kind === 'guess') {
      for (let k = 0; k < 3; k++) push(1 + k, `Failed password for root from ${a} port ${20000 + i} ssh2`);
      push(5, `Connection closed by authenticating user root ${a} port ${20000 + i} [preauth]`);
    }
  });
  return out;
}

function analyse(ls: FramedLine[], maxSourceRecords?: number) {
  const a = new Analyzer({ keepConnections: false, maxSourceRecords });
  for (const l of ls) a.push(l);
  const { finalUpdates: _f, ...r } = a.finish();
  return r;
}

test('property: bounded sources give the same summary; the kept records are the unbounded ones that matter most', () => {
  const conn = fc.record({ src: fc.integer({ min: 1, max: 60 }), kind: fc.constantFrom<Kind>('scan', 'login', 'guess', 'open') });
  fc.assert(
    fc.property(fc.array(conn, { minLength: 1, maxLength: 120 }), fc.integer({ min: 1, max: 20 }), (conns, max) => {
      const ls = lines(conns);
      const full = analyse(ls);
      const bounded = analyse(ls, max);
      assert.deepEqual(bounded.summary, full.summary, 'the summary covers every source');
      assert.equal(full.sourcesOmitted, undefined);
      const n = full.sources.length;
      assert.equal(bounded.sources.length, Math.min(n, max));
      assert.equal(bounded.sourcesOmitted, n > max ? n - max : undefined);
      const byAddress = new Map(full.sources.map((s) => [s.address, s]));
      for (const s of bounded.sources) assert.deepEqual(s, byAddress.get(s.address), `${s.address}: same record as without the bound`);
      // Logged-in sources first: if any source was left out, every kept one outranks it.
      const kept = new Set(bounded.sources.map((s) => s.address));
      const rank = (s: (typeof full.sources)[number]) => (s.class === 'legit' ? 0 : s.detail === 'evicted' ? 2 : 1);
      for (const out of full.sources.filter((s) => !kept.has(s.address)))
        for (const k of bounded.sources) assert.ok(rank(k) < rank(out) || (rank(k) === rank(out) && k.connections >= out.connections), `${k.address} kept before ${out.address}`);
      // Output order as without the bound: most connections first.
      for (let i = 1; i < bounded.sources.length; i++) assert.ok(bounded.sources[i - 1].connections >= bounded.sources[i].connections);
    }),
    { numRuns: 150 },
  );
});

test('a user among many scanners keeps its record under a bound of one', () => {
  const conns: { src: number; kind: Kind }[] = [];
  for (let i = 0; i < 200; i++) conns.push({ src: 1 + (i % 50), kind: 'scan' });
  conns.push({ src: 99, kind: 'login' });
  const r = analyse(lines(conns), 1);
  assert.deepEqual(r.sources.map((s) => [s.address, s.class]), [['198.51.100.99', 'legit']]);
  assert.equal(r.sourcesOmitted, 50);
  assert.equal(r.summary.sources, 51);
  assert.equal(r.summary.classes.scanner, 50);
});
