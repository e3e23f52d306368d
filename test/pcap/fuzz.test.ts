/**
 * Fuzzing the capture reader and everything behind it (decode, flows, SSH streams, verdicts) with
 * fast-check: real tcpdump captures from the lab (fixtures/, Linux cooked v2, pcap and pcapng) and
 * synthetic ones of every format, mutated (bytes flipped, cut, spliced, lengths rewritten) and fed
 * in random chunks. It must never throw, always finish quickly, and keep its open flows within
 * the bound.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { PcapAnalyzer } from '../../src/pcap/analyze.ts';
import { CaptureWriter, conversation, linkWrap, sshLoginSteps, ssh } from './synthetic.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function synthetic(format: 'pcap' | 'pcap-be' | 'pcap-ns' | 'pcapng' | 'pcapng-be', link: number): Buffer {
  const w = new CaptureWriter(format, [link, link]);
  let i = 0;
  const convs = [
    conversation({ client: '192.0.2.11', server: '192.0.2.1', cport: 40000, t0: 1.7e12, steps: sshLoginSteps() }),
    conversation({ client: '2001:db8::11', server: '2001:db8::1', cport: 40001, t0: 1.7e12 + 5, extHeader: true, steps: [{ from: 's', data: ssh.ident('SSH-2.0-x') }, { from: 'c', data: 'GET / HTTP/1.1\r\n\r\n' }, { from: 'c', rst: true }] }),
  ];
  for (const p of convs.flat().sort((a, b) => a.ts - b.ts)) w.packet(p.ts, linkWrap(link, p.ip, { vlan: link === 1 ? 2 : 0 }), i++ % 2);
  return w.bytes();
}

const SEEDS: Buffer[] = [
  readFileSync(join(FIXTURES, 'lab-sll.pcap')).subarray(0, 12_000),
  readFileSync(join(FIXTURES, 'lab-sll.pcapng')).subarray(0, 12_000),
  synthetic('pcap', 1),
  synthetic('pcap-be', 113),
  synthetic('pcap-ns', 0),
  synthetic('pcapng', 276),
  synthetic('pcapng-be', 101),
];

type Mutation = { kind: 'flip'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'splice'; at: number; from: number; len: number } | { kind: 'u32'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), len: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.constant(0x7fffffff), fc.nat()) }),
);

function mutate(seed: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = m.value;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'splice') b = Buffer.concat([b.subarray(0, at), b.subarray(m.from % b.length, (m.from % b.length) + m.len), b.subarray(at)]);
    else if (at + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, at);
  }
  return b;
}

test('mutated captures never throw, never hang, and stay within the flow bound', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 5000 }), fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 3 }), (seed, ms, chunk, ports) => {
      const input = mutate(SEEDS[seed], ms);
      const started = performance.now();
      let emitted = 0;
      const a = new PcapAnalyzer({ ports: [22, ...ports], maxFlows: 20, keepConnections: false, onConnection: (c) => {
        emitted++;
        JSON.stringify(c); // every record is serialisable
      } });
      for (let i = 0; i < input.length; i += chunk) {
        a.push(input.subarray(i, i + chunk));
        assert.ok(a.openFlows <= 20, `open flows ${a.openFlows}`);
      }
      const r = a.finish();
      assert.equal(r.summary.connections, emitted);
      assert.ok(performance.now() - started < 2000, 'took more than 2 s on a small capture');
    }),
    { numRuns: 1500, seed: 20261204 },
  );
});

test('random bytes behind a valid header never throw', () => {
  const headers = [SEEDS[0].subarray(0, 24), SEEDS[5].subarray(0, 28 + 20)];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1 }), fc.uint8Array({ maxLength: 4000 }), (h, body) => {
      const a = new PcapAnalyzer();
      a.push(Buffer.concat([headers[h], Buffer.from(body)]));
      a.finish();
    }),
    { numRuns: 1000, seed: 7 },
  );
});
