/**
 * `joinWireWithLog`: each connection the log tells (analyze's engine) matched with its flow in the
 * capture by client address, port and time, after estimating the clock offset between the
 * capture host and the log. Reports the connections both saw (side by side, disagreements
 * listed), the ones only the wire saw (and why the log could not), and the log's connections
 * with no flow. The joined outcome is the more specific of the two. Pure.
 */
import { SourceStats, type SourceRecord } from '../classify/source.ts';
import type { Outcome } from '../vocabulary.ts';
import type { AnalysisResult, ConnectionRecord } from '../engine/types.ts';
import type { WireConnection } from './types.ts';

/** How far (ms, after the offset) a log connection's first line may lie outside its flow's packets. */
const TOLERANCE_MS = 2_000;
/** Offsets from fewer pairs than this are reported, but matching still uses them. */
const MIN_OFFSET_PAIRS = 1;

export interface LogSide {
  outcome: Outcome;
  detail: string;
  start: string | null;
  end: string | null;
  pid: number | null;
  reason?: string;
  users: string[];
  failures: number;
  inferred?: boolean;
}

export interface BothSaw {
  client: string;
  clientPort: number;
  wire: WireConnection;
  log: LogSide;
  joinedOutcome: Outcome;
  /** Whether the two views agree (the wire's `authenticated_or_failed` agrees with either auth outcome). */
  agree: boolean;
}

export interface JoinResult {
  /** Log time minus capture time (ms), estimated from unambiguous pairs; null when there were none. */
  clockOffsetMs: number | null;
  offsetPairs: number;
  both: BothSaw[];
  disagreements: BothSaw[];
  wireOnly: { wire: WireConnection; why: string }[];
  logOnly: { log: LogSide & { client: string | null; clientPort: number | null }; why: string }[];
  /** Joined outcome counts over every connection (both, wire-only, log-only). */
  outcomes: Partial<Record<Outcome, number>>;
  sources: SourceRecord[];
}

function ms(iso: string | null): number | null {
  if (iso === null) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

function logSide(c: ConnectionRecord): LogSide {
  const l: LogSide = { outcome: c.outcome, detail: c.detail, start: c.start, end: c.end, pid: c.pid, users: c.users, failures: c.failures };
  if (c.reason !== undefined) l.reason = c.reason;
  if (c.inferred) l.inferred = true;
  return l;
}

const AUTH: ReadonlySet<Outcome> = new Set(['authenticated', 'auth_failed']);

/** The two views agree, and which outcome the joined record takes. */
export function joinOutcome(wire: WireConnection, log: LogSide): { outcome: Outcome; agree: boolean } {
  const w = wire.outcome;
  const l = log.outcome;
  if (w === l) return { outcome: l, agree: true };
  if (w === 'authenticated_or_failed' && AUTH.has(l)) return { outcome: l, agree: true };
  if (l === 'unknown') return { outcome: w, agree: true };
  if (w === 'unknown') return { outcome: l, agree: true };
  // Both specific and different: sshd's own account wins, except an outcome the log only inferred
  // from silence, where the packets are the better witness.
  if (log.inferred) return { outcome: w, agree: false };
  return { outcome: l, agree: false };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function joinWireWithLog(wire: readonly WireConnection[], log: Pick<AnalysisResult, 'connections' | 'logLevel' | 'events' | 'era'>, ports: readonly number[] = [22]): JoinResult {
  const logConns = log.connections ?? [];
  const byKey = new Map<string, ConnectionRecord[]>();
  const keyless: ConnectionRecord[] = [];
  for (const c of logConns) {
    if (c.src === null || c.srcPort === null) keyless.push(c);
    else {
      const k = `${c.src}|${c.srcPort}`;
      const list = byKey.get(k);
      if (list) list.push(c);
      else byKey.set(k, [c]);
    }
  }
  const wireByKey = new Map<string, number>();
  for (const w of wire) {
    const k = `${w.client}|${w.clientPort}`;
    wireByKey.set(k, (wireByKey.get(k) ?? 0) + 1);
  }
  // Clock offset from pairs that can only match each other.
  const deltas: number[] = [];
  for (const w of wire) {
    const k = `${w.client}|${w.clientPort}`;
    const l = byKey.get(k);
    if (l === undefined || l.length !== 1 || wireByKey.get(k) !== 1) continue;
    // The ends: sshd logs a connection's last line when it closes (at INFO often its only line), where the packets end too.
    const le = ms(l[0].end) ?? ms(l[0].start);
    const we = ms(w.end);
    if (le !== null && we !== null) deltas.push(le - we);
  }
  const offset = deltas.length >= MIN_OFFSET_PAIRS ? Math.round(median(deltas)) : null;
  const off = offset ?? 0;

  const matched = new Set<ConnectionRecord>();
  const both: BothSaw[] = [];
  const wireOnly: JoinResult['wireOnly'] = [];
  const logSpan = span(logConns.map((c) => ms(c.start)).concat(logConns.map((c) => ms(c.end))));
  for (const w of wire) {
    const cands = byKey.get(`${w.client}|${w.clientPort}`) ?? [];
    const ws = ms(w.start) as number;
    const we = ms(w.end) as number;
    let best: ConnectionRecord | null = null;
    let bestDist = Number.POSITIVE_INFINITY;
    for (const c of cands) {
      if (matched.has(c)) continue;
      const t = (ms(c.start) ?? ms(c.end)) ;
      if (t === null) continue;
      const lt = t - off;
      const dist = lt < ws ? ws - lt : lt > we ? lt - we : 0;
      if (dist <= TOLERANCE_MS && dist < bestDist) [best, bestDist] = [c, dist];
    }
    if (best === null) {
      wireOnly.push({ wire: w, why: whyWireOnly(w, log, logSpan, off) });
      continue;
    }
    matched.add(best);
    const l = logSide(best);
    const j = joinOutcome(w, l);
    both.push({ client: w.client, clientPort: w.clientPort, wire: w, log: l, joinedOutcome: j.outcome, agree: j.agree });
  }
  const capSpan = span(wire.map((w) => ms(w.start)).concat(wire.map((w) => ms(w.end))));
  const logOnly: JoinResult['logOnly'] = [];
  for (const c of logConns) {
    if (matched.has(c)) continue;
    logOnly.push({ log: { ...logSide(c), client: c.src, clientPort: c.srcPort }, why: whyLogOnly(c, capSpan, off, ports) });
  }

  const outcomes: Partial<Record<Outcome, number>> = {};
  const count = (o: Outcome) => (outcomes[o] = (outcomes[o] ?? 0) + 1);
  const stats = new Map<string, SourceStats>();
  const addSource = (addr: string | null, outcome: Outcome, failures: number, users: string[], start: number | null, end: number | null) => {
    count(outcome);
    if (addr === null) return;
    let s = stats.get(addr);
    if (s === undefined) stats.set(addr, (s = new SourceStats(addr)));
    s.add({ outcome, failures, users }, start, end);
  };
  for (const b of both) addSource(b.client, b.joinedOutcome, b.log.failures, b.log.users, ms(b.wire.start), ms(b.wire.end));
  for (const w of wireOnly) addSource(w.wire.client, w.wire.outcome, 0, [], ms(w.wire.start), ms(w.wire.end));
  for (const l of logOnly) addSource(l.log.client, l.log.outcome, l.log.failures, l.log.users, ms(l.log.start), ms(l.log.end));
  const sources = [...stats.values()].map((s) => s.toRecord()).sort((a, b) => b.connections - a.connections || (a.address < b.address ? -1 : 1));
  return { clockOffsetMs: offset, offsetPairs: deltas.length, both, disagreements: both.filter((b) => !b.agree), wireOnly, logOnly, outcomes, sources };
}

function span(ts: (number | null)[]): { first: number; last: number } | null {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of ts) {
    if (t === null) continue;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  return Number.isFinite(first) ? { first, last } : null;
}

function whyWireOnly(w: WireConnection, log: Pick<AnalysisResult, 'logLevel' | 'events' | 'era'>, logSpan: { first: number; last: number } | null, off: number): string {
  if (w.detail === 'syn_unanswered' || w.detail === 'syn_rejected' || w.detail === 'handshake_incomplete') return 'no TCP connection was made: sshd never accepted it, so it cannot log it';
  const ws = (ms(w.start) as number) + off;
  if (logSpan === null) return 'the log has no connections at all';
  if (ws < logSpan.first - TOLERANCE_MS) return 'before the log begins';
  if (ws > logSpan.last + TOLERANCE_MS) return 'after the log ends';
  const level = log.logLevel.level;
  if (w.outcome === 'dropped') {
    const throttled = log.events.some((e) => e.type.startsWith('maxstartups') || e.type.startsWith('drops_ratelimited'));
    return `dropped by the listener${throttled ? ' during MaxStartups throttling the log reports' : ''}: ${level === 'INFO' ? 'at LogLevel INFO sshd (8.4–9.7) logs only the first drop of a throttling episode, and the listener logs no address for the others' : 'sshd wrote no line for this drop (rate-limited drop lines)'}`;
  }
  if (w.outcome === 'timeout') return level === 'INFO' || level === 'unknown' ? 'a silent LoginGraceTime expiry: at LogLevel INFO sshd before 9.8 (and Debian\'s CVE-2024-6387 fix) logs nothing for it' : 'a LoginGraceTime expiry sshd did not log';
  if (w.midstream) return 'the capture began mid-connection and the log has no line for it in the capture\'s time';
  if (w.firstClose !== null && w.firstClose.afterMs < 5 && (w.outcome === 'reset_before_ident' || w.outcome === 'closed_before_ident')) return `too quick: closed ${w.firstClose.afterMs.toFixed(1)} ms after it opened, before sshd's connection process logged anything`;
  return `no matching log line at LogLevel ${level}: another sshd or host, or a log that was filtered or rotated`;
}

function whyLogOnly(c: ConnectionRecord, cap: { first: number; last: number } | null, off: number, ports: readonly number[]): string {
  if (c.src === null || c.srcPort === null) return 'the log gives no client address and port for it, so it cannot be matched to a flow';
  if (c.localPort !== null && !ports.includes(c.localPort)) return `on port ${c.localPort}, not one of the captured ports (--port)`;
  const t = ms(c.start) ?? ms(c.end);
  if (cap === null) return 'the capture has no SSH connections at all (capture filter, interface, or --port)';
  if (t !== null && t - off < cap.first - TOLERANCE_MS) return 'before the capture started';
  if (t !== null && t - off > cap.last + TOLERANCE_MS) return 'after the capture ended';
  return 'not in the capture: its filter or interface missed it, or the capture dropped packets (see tcpdump\'s "packets dropped by kernel")';
}
