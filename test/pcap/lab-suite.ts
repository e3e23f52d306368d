/**
 * `sshwarden pcap` against the analyze lab (test/analyze-lab/scenarios.ts): real tcpdump in the
 * server's namespace while real clients do every scenario (silent close, RST, HTTP, TLS,
 * ssh-keyscan, algorithm mismatch, MaxStartups flood with a user dropped, brute force,
 * LoginGraceTime expiry, logins, IPv6, …). The truth is what each client did.
 *
 * Scored: `pcap` alone (every client connection found with the wire's outcome: the auth outcomes
 * are `authenticated_or_failed` on the wire), `pcap --log` (the joined outcome is the truth's;
 * every connection the log cannot show is in the wire-only list), and the TCP view against
 * tshark's own fields on the same capture (same connections, same first closer).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLab, type LogLevel, type TruthConn } from '../analyze-lab/scenarios.ts';
import type { Outcome } from '../../src/vocabulary.ts';
import type { WireConnection } from '../../src/pcap/types.ts';
import type { JoinResult } from '../../src/pcap/join.ts';

const REPO = join(import.meta.dirname, '..', '..');

function sshwarden(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function wireExpected(t: TruthConn): Outcome {
  return t.expected === 'authenticated' || t.expected === 'auth_failed' ? 'authenticated_or_failed' : t.expected;
}

/** Truth connection → the wire record of the same client address and port (ports can be reused: take them in order). */
function pair<T>(truth: TruthConn[], items: T[], key: (x: T) => string): Map<TruthConn, T | undefined> {
  const pools = new Map<string, T[]>();
  for (const x of items) {
    const k = key(x);
    const l = pools.get(k);
    if (l) l.push(x);
    else pools.set(k, [x]);
  }
  const out = new Map<TruthConn, T | undefined>();
  for (const t of truth) out.set(t, pools.get(`${t.src}|${t.srcPort}`)?.shift());
  return out;
}

interface TsharkConn {
  client: string;
  clientPort: number;
  firstCloser: 'client' | 'server' | null;
  /** A SYN-ACK is in the capture; payload is (either way). */
  synAck: boolean;
  data: boolean;
}

/**
 * The connections (client|port) in which tshark flags a segment the capture lacks: `tcp.analysis.lost_segment`
 * ("previous segment not captured": a segment, FIN included, past the next expected byte) or
 * `tcp.analysis.ack_lost_segment` ("ACKed unseen segment": the peer acknowledges bytes never seen).
 */
function tsharkLostSegments(file: string): Set<string> {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment', '-T', 'fields', '-E', 'separator=\t', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'ip.dst', '-e', 'ipv6.dst'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [ip4, ip6, sport, dport, dst4, dst6] = line.split('\t');
    const fromClient = Number(dport) === 22;
    out.add(fromClient ? `${ip4 || ip6}|${sport}` : `${dst4 || dst6}|${dport}`);
  }
  return out;
}

/** tshark's view: one entry per tcp.stream, with who sent the first FIN or RST. */
function tsharkConnections(file: string): TsharkConn[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.len'], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const streams = new Map<number, TsharkConn>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [stream, ip4, ip6, sport, dport, flags, dst4, dst6, len] = line.split('\t');
    const id = Number(stream);
    const fromClient = Number(dport) === 22;
    const src = ip4 || ip6;
    const dst = dst4 || dst6;
    let s = streams.get(id);
    if (s === undefined) {
      s = { client: fromClient ? src : dst, clientPort: Number(fromClient ? sport : dport), firstCloser: null, synAck: false, data: false };
      streams.set(id, s);
    }
    const f = Number(flags);
    if (s.firstCloser === null && f & 5) s.firstCloser = fromClient ? 'client' : 'server';
    if ((f & 0x12) === 0x12) s.synAck = true;
    if (Number(len) > 0) s.data = true;
  }
  return [...streams.values()];
}

/** One node:test test: the lab at this LogLevel with a capture, then the checks (used by pcap-lab-info / -verbose.test.ts). */
export function pcapLabSuite(level: LogLevel, prefix: string): void {
test(`sshwarden pcap against real tcpdump captures of the analyze lab (sshd 9.2p1, LogLevel ${level})`, { timeout: 420_000 }, async (t) => {
  for (const tool of ['tcpdump', 'tshark']) assert.equal(spawnSync(tool, ['--version']).status, 0, `${tool} is needed (test.sh installs it)`);
  const outDir = mkdtempSync(join(tmpdir(), 'sshwarden-pcap-lab-'));
  try {
    const run = await runLab({ logLevel: level, outDir, prefix, capture: true });
    const pcap = run.pcapFile as string;
    t.diagnostic(`lab: ${run.truth.length} client connections in ${run.durationMs} ms; capture ${pcap} (tcpdump: ${run.captureStats ?? 'no count'})`);

    const alone = sshwarden(['pcap', pcap, '--json']);
    assert.equal(alone.status, 0, alone.stderr);
    const wire = JSON.parse(alone.stdout) as { connections: WireConnection[]; summary: { connections: number } };
    const labConns = wire.connections.filter((c) => c.server === run.server.v4 || c.server === run.server.v6);

    await t.test('pcap alone: every client connection is found, with the outcome the wire can tell', () => {
      const m = pair(run.truth, labConns, (c) => `${c.client}|${c.clientPort}`);
      const wrong: string[] = [];
      let right = 0;
      for (const [tc, w] of m) {
        const exp = wireExpected(tc);
        if (w === undefined) wrong.push(`${tc.scenario} ${tc.src}:${tc.srcPort} (${tc.did}): not found`);
        else if (w.outcome !== exp && captureLost(w)) t.diagnostic(`capture loss (tcpdump under load): ${tc.src}:${tc.srcPort}: ${w.detail === 'capture_gap' ? w.reason : `a FIN after an unanswered SYN (${w.connState})`}; the wire cannot tell, the joined view below must`);
        else if (w.outcome !== exp) wrong.push(`${tc.scenario} ${tc.src}:${tc.srcPort} (${tc.did}): expected ${exp}, wire says ${w.outcome} (${w.detail}: ${w.reason})`);
        else right++;
      }
      t.diagnostic(`pcap alone: ${right}/${run.truth.length} connections with the right outcome`);
      assert.deepEqual(wrong, []);
      assert.equal(labConns.length, run.truth.length, `the capture has ${labConns.length} connections, the clients made ${run.truth.length}`);
    });

    await t.test('pcap alone: the wire facts behind the outcomes', () => {
      const m = pair(run.truth, labConns, (c) => `${c.client}|${c.clientPort}`);
      for (const [tc, w] of m) {
        if (!w || captureLost(w)) continue;
        if (tc.did === 'tls') assert.equal(w.instead?.kind, 'tls', 'TLS ClientHello recognised');
        if (tc.did === 'http') assert.match(w.instead?.text ?? '', /^GET \/ HTTP\/1\.1/);
        if (tc.did === 'flood' && tc.expected === 'dropped') assert.deepEqual([w.detail, w.firstClose?.by], ['maxstartups', 'server'], JSON.stringify(w));
        if (tc.did === 'kex-mismatch') assert.deepEqual(w.kex?.noCommon, ['kex']);
        if (tc.did === 'login') {
          assert.equal(w.kex?.completed, true);
          assert.ok(w.fromServer.ident?.startsWith('SSH-2.0-OpenSSH_9.2p1'), w.fromServer.ident ?? '');
        }
        if (tc.did === 'rst') assert.deepEqual([w.firstClose?.by, w.firstClose?.kind, w.connState], ['client', 'RST', 'RSTO']);
        if (tc.did === 'silent-close') assert.deepEqual([w.firstClose?.by, w.firstClose?.kind, w.connState], ['client', 'FIN', 'SF']);
        if (tc.did === 'grace-timeout') assert.equal(w.firstClose?.by, 'server');
      }
    });

    const joined = sshwarden(['pcap', pcap, '--json', '--log', run.logFile, ...run.analyzeArgs]);
    assert.equal(joined.status, 0, joined.stderr);
    const j = (JSON.parse(joined.stdout) as { join: JoinResult }).join;

    await t.test('pcap --log: every connection gets the true outcome; the clock offset is found', () => {
      const m = pair(run.truth, j.both.map((b) => ({ key: `${b.client}|${b.clientPort}`, outcome: b.joinedOutcome, lostWire: null as WireConnection | null })).concat(j.wireOnly.map((w) => ({ key: `${w.wire.client}|${w.wire.clientPort}`, outcome: w.wire.outcome, lostWire: captureLost(w.wire) ? w.wire : null }))), (x) => x.key);
      const wrong: string[] = [];
      let right = 0;
      for (const [tc, x] of m) {
        if (x === undefined) wrong.push(`${tc.scenario} ${tc.src}:${tc.srcPort}: not in the joined view`);
        // no log line for it and the capture lost its packets: nothing can tell (the wire says unknown, as it must)
        else if (x.outcome !== tc.expected && x.lostWire !== null && !tc.logged) t.diagnostic(`capture loss on a connection the log cannot show: ${tc.src}:${tc.srcPort} (${tc.did}): ${x.lostWire.outcome} (${x.lostWire.detail})`);
        else if (x.outcome !== tc.expected) wrong.push(`${tc.scenario} ${tc.src}:${tc.srcPort} (${tc.did}): expected ${tc.expected}, joined ${x.outcome}`);
        else right++;
      }
      t.diagnostic(`pcap --log: ${right}/${run.truth.length} right; clock offset ${j.clockOffsetMs} ms from ${j.offsetPairs} pairs; both ${j.both.length}, wire-only ${j.wireOnly.length}, log-only ${j.logOnly.length}`);
      for (const d of j.disagreements) t.diagnostic(`disagreement: ${d.client}:${d.clientPort} wire ${d.wire.outcome} (${d.wire.detail}) vs log ${d.log.outcome} (${d.log.detail}) → ${d.joinedOutcome}`);
      assert.deepEqual(wrong, []);
      assert.ok(j.clockOffsetMs !== null && Math.abs(j.clockOffsetMs) < 1000, `same host, same clock: offset ${j.clockOffsetMs}`);
    });

    await t.test('pcap --log: every connection the log cannot show is wire-only, with a reason; nothing is log-only', () => {
      const notLogged = run.truth.filter((x) => !x.logged).map((x) => `${x.src}|${x.srcPort}`).sort();
      const wireOnly = j.wireOnly.filter((w) => w.wire.server === run.server.v4 || w.wire.server === run.server.v6).map((w) => `${w.wire.client}|${w.wire.clientPort}`).sort();
      for (const w of j.wireOnly) t.diagnostic(`wire-only: ${w.wire.client}:${w.wire.clientPort} ${w.wire.outcome}: ${w.why}`);
      assert.deepEqual(wireOnly, notLogged);
      for (const w of j.wireOnly) assert.ok(w.why.length > 10);
      assert.deepEqual(j.logOnly.map((l) => `${l.log.client}:${l.log.clientPort} ${l.log.outcome} ${l.why}`), []);
    });

    await t.test('the TCP view matches tshark: same connections, same first closer', () => {
      const ts = tsharkConnections(pcap);
      const ours = wire.connections.map((c) => `${c.client}|${c.clientPort}|${c.firstClose?.by ?? null}`).sort();
      const theirs = ts.map((c) => `${c.client}|${c.clientPort}|${c.firstCloser}`).sort();
      assert.deepEqual(ours, theirs);
      t.diagnostic(`tshark: ${ts.length} tcp streams, sshwarden: ${wire.connections.length} connections`);
    });

    await t.test('a capture gap is one tshark sees too (a segment not captured), never one we invent', () => {
      const gaps = wire.connections.filter((c) => c.detail === 'capture_gap').map((c) => `${c.client}|${c.clientPort}`);
      const lost = tsharkLostSegments(pcap);
      // tshark flags no segment when only a SYN-ACK is lost (it starts the server's numbers at its first byte): its own fields show it
      for (const c of tsharkConnections(pcap)) if (!c.synAck && c.data) lost.add(`${c.client}|${c.clientPort}`);
      for (const g of gaps) assert.ok(lost.has(g), `${g}: capture_gap, but tshark flags no lost segment there (flags: ${[...lost].join(', ') || 'none'})`);
      // tcpdump's own count: when it dropped nothing, there is no gap to find
      if (/\b0 dropped by kernel/.test(run.captureStats ?? '')) assert.deepEqual(gaps, [], `tcpdump dropped no packet (${run.captureStats}), yet capture gaps`);
      t.diagnostic(`capture gaps: sshwarden ${gaps.length}, tshark streams with a lost segment ${lost.size}`);
    });

    await t.test('the text report runs and shows the join', () => {
      const text = sshwarden(['pcap', pcap, '--log', run.logFile, '--limit', '5']);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /What the wire shows/);
      assert.match(text.stdout, /Joined with the log/);
      if (run.truth.some((x) => !x.logged)) assert.match(text.stdout, /Only the wire saw/);
      else assert.match(text.stdout, /only the wire 0, only the log 0/);
      assert.doesNotMatch(text.stdout, /\x1b\[/);
    });
  } finally {
    if (process.env.SSHWARDEN_KEEP_LAB) t.diagnostic(`kept ${outDir}`);
    else rmSync(outDir, { recursive: true, force: true });
  }
});
}

/**
 * The capture itself proves it lost packets: the client's SYN, no SYN-ACK, then the client's FIN (Zeek's SH):
 * a FIN is only sent on an established connection, so tcpdump dropped the server's answer (it does under load).
 */
function captureLost(w: { detail?: string | null; connState?: string }): boolean {
  return (w.detail === 'syn_unanswered' && w.connState === 'SH') || w.detail === 'capture_gap';
}
