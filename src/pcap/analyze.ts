/**
 * `analyzePcap`: capture bytes → packets → TCP flows on the SSH ports → one WireConnection per
 * connection (emitted as it closes), per-source classes as `analyze` gives them, and a summary.
 *
 *   const a = new PcapAnalyzer({ ports: [22], onConnection: (c) => … });
 *   for await (const chunk of bytes) a.push(chunk);
 *   const result = a.finish();
 *
 * Pure (no I/O, no clock: time is the capture's). Memory is bounded by open flows: a closed flow
 * is emitted a few seconds (capture time) after its close, an idle one after IDLE limits, and
 * past `maxFlows` open flows the least recently started are emitted early and counted (`evicted`).
 */
import { SourceStats, type SourceRecord } from '../classify/source.ts';
import { OUTCOMES, SOURCE_CLASSES, type Outcome, type SourceClass } from '../vocabulary.ts';
import { CaptureReader, type CapturedPacket, type CaptureFormat } from './capture-reader.ts';
import { decodeTcp, LINK_TYPES, newSegment, type DecodeSkip } from './decode.ts';
import { Flow, FlowTimes, u32 } from './flow.ts';
import { KexCache } from './kex-cache.ts';
import type { ConnState, WireConnection } from './types.ts';
import { toRecord, verdictOf } from './verdict.ts';

export interface PcapOptions {
  /** Server ports (default [22]). */
  ports?: readonly number[];
  /** sshd's LoginGraceTime in seconds, when known (see verdict.ts). */
  loginGraceTime?: number;
  /** Open flows kept at most (default 200,000); past it the oldest are emitted early and counted. */
  maxFlows?: number;
  /** Called for each connection as it is finished. */
  onConnection?: (c: WireConnection) => void;
  /** Keep every record for `finish().connections` (default true). */
  keepConnections?: boolean;
  /** Whether `onConnection` wants the next record (default: always); records nobody takes are not built. */
  wantRecord?: () => boolean;
}

const NO_USERS: string[] = [];
const ALWAYS = () => true;

export interface PcapSummary {
  format: CaptureFormat | null;
  linkTypes: string[];
  packets: number;
  /** TCP segments to or from the SSH ports. */
  sshPackets: number;
  /** Packets skipped, by reason (other ports, not TCP, unknown link type, fragments, truncated). */
  skipped: Record<string, number>;
  connections: number;
  outcomes: Partial<Record<Outcome, number>>;
  connStates: Partial<Record<ConnState, number>>;
  sources: number;
  classes: Record<SourceClass, number>;
  /** Flows emitted early because `maxFlows` were open. */
  evicted: number;
  midstream: number;
  payloadCut: number;
  retransmissions: number;
  first: string | null;
  last: string | null;
  /** The capture's structural error (the packets before it were analysed), or null. */
  error: string | null;
}

export interface PcapResult {
  connections?: WireConnection[];
  sources: SourceRecord[];
  summary: PcapSummary;
}

/** Capture-time linger before a closed flow is emitted (its last ACKs still belong to it). */
const LINGER_MS = 5_000;
/** A flow that never completed its handshake is given up after this much silence. */
const IDLE_HANDSHAKE_MS = 60_000;
/** An established flow with no packet for this long is emitted (Zeek's tcp_inactivity_timeout is 5 min; sessions idle longer). */
const IDLE_MS = 3_600_000;
const SWEEP_EVERY = 16_384;
/** Emitted flow objects kept for reuse at most. */
const MAX_SPARE = 16_384;
/** Address texts remembered at most. */
const ADDRESS_CACHE = 65_536;

export class PcapAnalyzer {
  private readonly reader: CaptureReader;
  private readonly ports: Set<number>;
  private readonly graceMs: number | null;
  private readonly maxFlows: number;
  private readonly keep: boolean;
  private readonly onConnection: ((c: WireConnection) => void) | null;
  private readonly wantRecord: () => boolean;
  /** Open flows by a hash of both ends (a small integer); the rare collisions by a byte string. */
  private readonly flows4 = new Map<number, Flow>();
  private readonly flows = new Map<string, Flow>();
  /** Open flows in start order (emitted ones are marked done and compacted away at each sweep). */
  private order: Flow[] = [];
  private lastLink = -1;
  private readonly kex = new KexCache();
  /** Open flows' timestamps (one typed array, not a heap number per field per flow). */
  private readonly times = new FlowTimes();
  /** Emitted flows for reuse (see Flow): no new object graph per connection. */
  private readonly spare: Flow[] = [];
  private readonly v4Text = new Map<number, string>();
  private readonly v6Text = new Map<string, string>();
  /** Flows kept by string key after a hash collision (see packet()). */
  private byString = 0;
  private readonly kept: WireConnection[] = [];
  private readonly sources = new Map<string, SourceStats>();
  private readonly seg = newSegment();
  private readonly skipped: Record<string, number> = {};
  private readonly links = new Set<number>();
  private readonly outcomes: Partial<Record<Outcome, number>> = {};
  private readonly states: Partial<Record<ConnState, number>> = {};
  private sshPackets = 0;
  private connections = 0;
  private evicted = 0;
  private midstream = 0;
  private payloadCut = 0;
  private retransmissions = 0;
  private firstTs = Number.POSITIVE_INFINITY;
  private lastTs = Number.NEGATIVE_INFINITY;
  private sinceSweep = 0;
  private finished = false;

  constructor(opts: PcapOptions = {}) {
    this.ports = new Set(opts.ports ?? [22]);
    this.graceMs = opts.loginGraceTime === undefined ? null : opts.loginGraceTime * 1000;
    this.maxFlows = opts.maxFlows ?? 200_000;
    this.keep = opts.keepConnections !== false;
    this.onConnection = opts.onConnection ?? null;
    this.wantRecord = opts.wantRecord ?? ALWAYS;
    this.reader = new CaptureReader((p) => this.packet(p));
  }

  /** The next bytes of the capture (any chunking). */
  push(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  get openFlows(): number {
    return this.flows4.size + this.flows.size;
  }

  /** The capture's structural error so far (reading stops there), or null. */
  get error(): string | null {
    return this.reader.error;
  }

  private skip(why: DecodeSkip | 'other_port'): void {
    this.skipped[why] = (this.skipped[why] ?? 0) + 1;
  }

  private packet(p: CapturedPacket): void {
    const s = this.seg;
    const why = decodeTcp(p.linkType, p.buf, p.start, p.end, s);
    if (why !== null) {
      if (why === 'link') this.links.add(p.linkType);
      return this.skip(why);
    }
    if (p.linkType !== this.lastLink) {
      this.links.add(p.linkType);
      this.lastLink = p.linkType;
    }
    let fromClient: boolean;
    if (this.ports.has(s.dstPort)) fromClient = true;
    else if (this.ports.has(s.srcPort)) fromClient = false;
    else return this.skip('other_port');
    this.sshPackets++;
    const ts = p.ts;
    s.ts = ts;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    const b = s.buf;
    const ca = fromClient ? s.srcAt : s.dstAt;
    const sa = fromClient ? s.dstAt : s.srcAt;
    const cp = fromClient ? s.srcPort : s.dstPort;
    const sp = fromClient ? s.dstPort : s.srcPort;
    // A small integer hashed from both ends (no string, no heap number per packet), checked against
    // the flow's own address bytes and ports; a collision goes to a map keyed by the bytes.
    const n = s.addrLen;
    let h = Math.imul(cp, 0x9e3779b1) ^ sp;
    for (let i = 0; i < n; i += 4) h = Math.imul(h ^ u32(b, ca + i), 0x85ebca6b) ^ u32(b, sa + i);
    let key: number | string = (h ^ (h >>> 15)) & 0x3fffffff;
    const hit = this.flows4.get(key);
    if (hit === undefined ? this.byString > 0 : !hit.sameEnds(b, ca, sa, n, cp, sp)) {
      const k = b.toString('latin1', ca, ca + n) + b.toString('latin1', sa, sa + n) + String.fromCharCode(cp, sp);
      if (hit !== undefined || this.flows.has(k)) key = k;
    }
    let f = typeof key === 'number' ? this.flows4.get(key) : this.flows.get(key);
    if (f !== undefined && fromClient && f.isNewConnection(s)) {
      this.emit(f);
      this.remove(key);
      f = undefined;
    }
    if (f === undefined) {
      if (this.openFlows >= this.maxFlows) this.evictOldest();
      const firstFlags = fromClient ? s.flags : s.flags & 16 ? s.flags & ~2 : s.flags;
      const reused = this.spare.pop();
      if (reused === undefined) f = new Flow(this.addressOf(b, ca, n), cp, this.addressOf(b, sa, n), sp, ts, firstFlags, this.kex, this.times);
      else {
        f = reused;
        f.reuse(this.addressOf(b, ca, n), cp, this.addressOf(b, sa, n), sp, ts, firstFlags);
      }
      f.setEnds(b, ca, sa, n);
      f.key = key;
      f.firstFrame = this.reader.packets;
      if (typeof key === 'number') this.flows4.set(key, f);
      else {
        this.flows.set(key, f);
        this.byString++;
      }
      this.order.push(f);
    }
    f.segment(s, fromClient);
    if (++this.sinceSweep >= SWEEP_EVERY) {
      this.sinceSweep = 0;
      this.sweep(ts);
    }
  }

  /** addressText, remembered: a capture's connections come from far fewer addresses (bounded: forgotten past ADDRESS_CACHE). */
  private addressOf(b: Buffer, at: number, n: number): string {
    if (n === 4) {
      const k = u32(b, at);
      let t = this.v4Text.get(k);
      if (t === undefined) {
        if (this.v4Text.size >= ADDRESS_CACHE) this.v4Text.clear();
        this.v4Text.set(k, (t = addressText(b, at, 4)));
      }
      return t;
    }
    const k = b.toString('latin1', at, at + n);
    let t = this.v6Text.get(k);
    if (t === undefined) {
      if (this.v6Text.size >= ADDRESS_CACHE) this.v6Text.clear();
      this.v6Text.set(k, (t = addressText(b, at, n)));
    }
    return t;
  }

  private remove(key: number | string): void {
    if (typeof key === 'number') this.flows4.delete(key);
    else if (this.flows.delete(key)) this.byString--;
  }

  /** Emits the flows started longest ago (1% of the bound at a time). */
  private evictOldest(): void {
    this.compact();
    const n = Math.min(this.order.length, Math.max(1, Math.floor(this.maxFlows / 100)));
    for (let i = 0; i < n; i++) {
      const f = this.order[i];
      this.emit(f);
      this.remove(f.key);
      this.evicted++;
    }
    this.compact();
  }

  private sweep(now: number): void {
    for (const f of this.order) {
      if (f.done) continue;
      const idle = now - f.lastTs;
      if ((f.closed && idle > LINGER_MS) || (!f.established && idle > IDLE_HANDSHAKE_MS) || idle > IDLE_MS) {
        this.emit(f);
        this.remove(f.key);
      }
    }
    this.compact();
  }

  /** Drops emitted flows from the start-order list; they are kept for reuse (bounded), being nowhere else. */
  private compact(): void {
    let j = 0;
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const f = order[i];
      if (!f.done) order[j++] = f;
      else if (this.spare.length < MAX_SPARE) this.spare.push(f);
      else f.release();
    }
    order.length = j;
  }

  private emit(f: Flow): void {
    if (f.done) return;
    f.done = true;
    this.tally(f);
  }

  /** Counts an emitted flow and builds its record when someone takes it. */
  private tally(f: Flow): void {
    const opts = { graceMs: this.graceMs };
    // The full record only when someone takes it (the text report lists a few).
    const give = this.onConnection !== null && this.wantRecord();
    const v = verdictOf(f, opts, give || this.keep);
    const outcome = v.judged.outcome;
    this.connections++;
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    this.states[v.connState] = (this.states[v.connState] ?? 0) + 1;
    if (f.midstream) this.midstream++;
    if (f.c.cut || f.s.cut) this.payloadCut++;
    this.retransmissions += f.c.retransmissions + f.s.retransmissions;
    let src = this.sources.get(f.client);
    if (src === undefined) this.sources.set(f.client, (src = new SourceStats(f.client)));
    src.add({ outcome, failures: 0, users: NO_USERS }, f.firstTs, f.lastTs);
    if (!this.keep && !give) return;
    const rec = toRecord(f, opts, v);
    if (this.keep) this.kept.push(rec);
    if (give) (this.onConnection as (c: WireConnection) => void)(rec);
  }

  /** Ends the input: every open flow is emitted; returns the result. Call once. */
  finish(): PcapResult {
    if (this.finished) throw new Error('PcapAnalyzer.finish() called twice');
    this.finished = true;
    this.reader.end();
    this.compact();
    const open = this.order;
    this.order = [];
    this.flows.clear();
    this.flows4.clear();
    for (const f of open) this.emit(f);
    const sources = [...this.sources.values()].map((s) => s.toRecord());
    sources.sort((a, b) => b.connections - a.connections || (a.address < b.address ? -1 : 1));
    const classes = Object.fromEntries(SOURCE_CLASSES.map((c) => [c, 0])) as Record<SourceClass, number>;
    for (const s of sources) classes[s.class]++;
    const outcomes: Partial<Record<Outcome, number>> = {};
    for (const o of OUTCOMES) if (this.outcomes[o]) outcomes[o] = this.outcomes[o];
    const summary: PcapSummary = {
      format: this.reader.format,
      linkTypes: [...this.links].map((l) => `${l} (${LINK_TYPES[l] ?? 'not read'})`),
      packets: this.reader.packets,
      sshPackets: this.sshPackets,
      skipped: this.skipped,
      connections: this.connections,
      outcomes,
      connStates: this.states,
      sources: sources.length,
      classes,
      evicted: this.evicted,
      midstream: this.midstream,
      payloadCut: this.payloadCut,
      retransmissions: this.retransmissions,
      first: Number.isFinite(this.firstTs) ? new Date(this.firstTs).toISOString() : null,
      last: Number.isFinite(this.lastTs) ? new Date(this.lastTs).toISOString() : null,
      error: this.reader.error,
    };
    const result: PcapResult = { sources, summary };
    if (this.keep) result.connections = this.kept.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    return result;
  }
}

/** Reads a whole capture from a byte stream (a file's or stdin's chunks). */
export async function analyzePcap(chunks: AsyncIterable<Buffer>, opts: PcapOptions = {}): Promise<PcapResult> {
  const a = new PcapAnalyzer(opts);
  for await (const c of chunks) {
    a.push(c);
    if (a.error !== null) break;
  }
  return a.finish();
}

/** Address bytes → text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as ::, IPv4-mapped as IPv4). */
export function addressText(b: Buffer, at = 0, len = b.length): string {
  if (len === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[at + i] << 8) | b[at + i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) return `${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}
