/**
 * `doctor --pcap FILE`: the wire as one more witness. The capture goes through the pcap engine
 * (src/pcap/), is joined with the sshd log of its time span (analyze's engine), and what the
 * log could not see becomes evidence: MaxStartups drops sshd did not log (LogLevel INFO logs one
 * per episode), SYNs with no answer (a DROP or a ban: sshd never saw them), SYNs answered with a
 * reset (a REJECT, nothing listening, a port translation), no common algorithm, non-SSH bytes on
 * the port, silent LoginGraceTime expiries; and the clock offset between the capture and the log.
 * Each piece of evidence names the file, the frame number of the connection's first packet and
 * its time. With --client, only that address's (and its /64's) flows.
 */
import type { CheckContext } from '../context.ts';
import { clientMatcher } from '../context.ts';
import type { CheckResult, Ev, Fact, WireFindingKind } from '../types.ts';
import { InputError, openFile } from '../../sources/byte-sources.ts';
import { PcapAnalyzer, type PcapSummary } from '../../pcap/analyze.ts';
import { joinWireWithLog, type JoinResult } from '../../pcap/join.ts';
import type { WireConnection } from '../../pcap/types.ts';
import { analyzeLogs } from '../../analyze/analyze-logs.ts';
import type { ConnectionRecord } from '../../engine/types.ts';

/** Connections kept from the capture, and from the log of its time span, at most (memory bound). */
const MAX_KEPT = 200_000;
/** The log is read over the capture's span widened by this much (clock offsets between the two hosts). */
const SPAN_MARGIN_MS = 10 * 60_000;
const SAMPLES_PER_ADDRESS = 3;
const MAX_ADDRESSES = 1000;

export interface CaptureCheckOptions {
  file: string;
  loginGraceTime: number;
}

/** `file frame N` and the connection in one line: time, ends, outcome and why. */
export function wireEvidence(file: string, w: WireConnection): Ev {
  const ends = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return { where: `${file} frame ${w.frame}`, text: `${w.start} ${ends(w.client, w.clientPort)} → ${ends(w.server, w.serverPort)} ${w.outcome} (${w.detail}, Zeek ${w.connState}): ${w.reason}` };
}

function kindOf(w: WireConnection): WireFindingKind | null {
  if (w.detail === 'syn_unanswered') return 'syn_unanswered';
  if (w.detail === 'syn_rejected') return 'syn_rejected';
  if (w.outcome === 'dropped') return 'dropped';
  if (w.outcome === 'kex_failed' && w.kex !== undefined && w.kex.noCommon.length > 0) return 'no_common_algorithm';
  if (w.outcome === 'non_ssh') return 'non_ssh';
  if (w.outcome === 'timeout') return 'timeout';
  return null;
}

type Finding = Extract<Fact, { type: 'wire_finding' }>;

/**
 * Pure: the wire's connections (and their join with the log, when there was one) into facts.
 * `unlogged` counts, per address, the connections the log has no line for (wire-only).
 */
export function wireFacts(file: string, wire: readonly WireConnection[], join: JoinResult | null): Fact[] {
  const wireOnly = new Set(join?.wireOnly.map((x) => x.wire) ?? []);
  const findings = new Map<WireFindingKind, Finding>();
  // handshakes sshd completed, per server port: a reset to others then is a rule, not a missing listener
  const served = new Set<number>();
  for (const w of wire) if (w.handshake) served.add(w.serverPort);
  for (const w of wire) {
    const kind = kindOf(w);
    if (kind === null) continue;
    let f = findings.get(kind);
    if (f === undefined) findings.set(kind, (f = { type: 'wire_finding', kind, file, port: w.serverPort, total: 0, byAddress: {}, unlogged: {}, samples: [] }));
    f.total++;
    const seen = f.byAddress[w.client];
    if (seen !== undefined || Object.keys(f.byAddress).length < MAX_ADDRESSES) {
      f.byAddress[w.client] = (seen ?? 0) + 1;
      if (join !== null && wireOnly.has(w)) f.unlogged[w.client] = (f.unlogged[w.client] ?? 0) + 1;
    }
    if ((seen ?? 0) < SAMPLES_PER_ADDRESS && f.samples.length < 3 * MAX_ADDRESSES) f.samples.push({ address: w.client, ev: wireEvidence(file, w) });
    if (kind === 'syn_rejected') f.served = served.has(w.serverPort);
    if (kind === 'no_common_algorithm' && w.kex !== undefined) {
      const list = (f.noCommon ??= []);
      for (const n of w.kex.noCommon) {
        if (list.some((x) => x.category === n)) continue;
        const offers = w.kex.negotiated.find((x) => x.category === n)?.client ?? [];
        list.push({ category: n, clientOffers: offers.slice(0, 5) });
      }
    }
  }
  const legit = join?.sources.filter((s) => s.class === 'legit').map((s) => s.address) ?? [];
  const overview: Fact = {
    type: 'wire_overview', file, connections: wire.length, joined: join !== null, clockOffsetMs: join?.clockOffsetMs ?? null, offsetPairs: join?.offsetPairs ?? 0,
    both: join?.both.length ?? 0, wireOnly: join?.wireOnly.length ?? 0, logOnly: join?.logOnly.length ?? 0, disagreements: join?.disagreements.length ?? 0, legitAddresses: legit.slice(0, MAX_ADDRESSES),
  };
  return [overview, ...findings.values()];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What `readWire` gives: the connections kept (time order), the capture's summary, how many were not kept. */
export interface WireRead {
  wire: WireConnection[];
  summary: PcapSummary;
  notKept: number;
}

/**
 * The I/O edge: reads a capture through the pcap engine, keeping the connections `keep` accepts
 * (at most MAX_KEPT). A file that cannot be opened or is no capture: `{ error }` (one line).
 */
export async function readWire(file: string, o: { ports: readonly number[]; loginGraceTime: number; keep?: (c: WireConnection) => boolean }): Promise<WireRead | { error: string }> {
  const wire: WireConnection[] = [];
  let notKept = 0;
  const analyzer = new PcapAnalyzer({
    ports: o.ports,
    loginGraceTime: o.loginGraceTime,
    keepConnections: false,
    onConnection: (c) => {
      if (o.keep !== undefined && !o.keep(c)) return;
      if (wire.length < MAX_KEPT) wire.push(c);
      else notKept++;
    },
  });
  let src;
  try {
    src = await openFile(file);
  } catch (e) {
    return { error: `${file}: ${e instanceof InputError ? e.message : (e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  try {
    for await (const chunk of src.chunks(() => {})) {
      analyzer.push(chunk);
      if (analyzer.error !== null) break;
    }
  } finally {
    await src.close();
  }
  const result = analyzer.finish();
  if (result.summary.format === null) return { error: `${file}: ${result.summary.error ?? 'not a capture file (pcap or pcapng)'}` };
  wire.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return { wire, summary: result.summary, notKept };
}

/** The time span (ms) the log should be read over to join this capture: its first to last packet, widened for clock offsets. */
export function joinSpan(wire: readonly WireConnection[]): { since: number; until: number } | null {
  if (wire.length === 0) return null;
  const first = Date.parse(wire[0].start);
  const last = wire.reduce((m, w) => Math.max(m, Date.parse(w.end)), first);
  return { since: first - SPAN_MARGIN_MS, until: last + SPAN_MARGIN_MS };
}

/** The clause the check's note and the report give about the join. */
export function joinNote(join: JoinResult): string {
  const off = join.clockOffsetMs;
  return `joined with the log: ${join.both.length} both saw, ${join.wireOnly.length} only the wire, ${join.logOnly.length} only the log, ${plural(join.disagreements.length, 'disagreement')}; clock offset (log − capture) ${off === null ? 'unknown (no connection both saw)' : `${off >= 0 ? '+' : ''}${(off / 1000).toFixed(3)} s from ${plural(join.offsetPairs, 'connection')}`}`;
}

export async function checkCapture(ctx: CheckContext, o: CaptureCheckOptions): Promise<CheckResult> {
  const check = 'capture';
  const matcher = ctx.client ? clientMatcher(ctx.client) : null;
  const { since, until } = ctx.window;
  const read = await readWire(o.file, {
    ports: ctx.ports,
    loginGraceTime: o.loginGraceTime,
    keep: (c) => {
      if (matcher !== null && !matcher(c.client)) return false;
      const t = Date.parse(c.start);
      return !((since !== null && t < since) || (until !== null && t >= until));
    },
  });
  if ('error' in read) return { check, status: 'unchecked', reason: read.error, facts: [] };
  const { wire, summary } = read;

  // The log over the capture's span (both hosts' clocks may differ: a margin each side).
  let join: JoinResult | null = null;
  let logNote = 'no log to join';
  const span = joinSpan(wire);
  if (ctx.logs.length > 0 && span !== null) {
    const logConns: ConnectionRecord[] = [];
    const run = await analyzeLogs({
      inputs: ctx.logs,
      window: { since: Math.max(span.since, since ?? -Infinity), until: Math.min(span.until, until ?? Infinity) },
      loginGraceTime: o.loginGraceTime,
      sourceFilter: matcher ?? undefined,
      onConnection: (c) => {
        if (logConns.length < MAX_KEPT) logConns.push(c);
      },
    });
    join = joinWireWithLog(wire, { connections: logConns, logLevel: run.result.logLevel, events: run.result.events, era: run.result.era }, ctx.ports);
    logNote = joinNote(join);
  }
  const facts = wireFacts(o.file, wire, join);
  const note = `${o.file}: ${summary.packets} packets, ${plural(wire.length, 'connection')}${matcher ? ` of ${ctx.client!.address}` : ''}${read.notKept ? ` (${read.notKept} more not kept)` : ''}${summary.error ? ` (${summary.error}; the packets before it were read)` : ''}; ${logNote}`;
  return { check, status: 'looked', note, facts };
}
