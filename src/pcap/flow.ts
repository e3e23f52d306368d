/**
 * One TCP connection as the capture saw it: handshake, the first FIN and RST of each side, bytes
 * and retransmissions each way, zero windows, and each direction's in-order bytes fed to an
 * SshStream until it turns encrypted. Sequence numbers are compared modulo 2^32. Pure.
 */
import { ACK, FIN, RST, SYN, type TcpSegment } from './decode.ts';
import { KexCache } from './kex-cache.ts';
import { SshStream } from './ssh-stream.ts';

/** What a direction that sent no payload says: nothing (never fed, never changed; frozen so a slip would throw). */
const EMPTY_STREAM = Object.freeze(new SshStream(false, new KexCache())) as SshStream;

/** Out-of-order segments held per direction while its SSH bytes are still read. */
const MAX_HELD = 16;

/** A flow's timestamps in its slot of a FlowTimes: the flow's first and last packet, then each direction's. */
const FIRST = 0;
const LAST = 1;
const CLIENT = 2;
const SERVER = 7;
/** A direction's timestamps, from its base: SYN, FIN, RST (NaN until seen), first and last new payload (-1 until then). */
const SYN_TS = 0;
const FIN_TS = 1;
const RST_TS = 2;
const FIRST_DATA = 3;
const LAST_DATA = 4;
const SLOT = 12;

/**
 * Every open flow's timestamps, in one Float64Array of fixed-size slots (a free list reuses the
 * slots of emitted flows). Timestamps are fractional milliseconds: as object fields each would be
 * a heap number of its own, and flows live long enough to be promoted with them (GC time).
 */
export class FlowTimes {
  a = new Float64Array(SLOT * 1024);
  private readonly free: number[] = [];
  private used = 0;

  /** A fresh slot's base index. */
  take(): number {
    const base = this.free.length > 0 ? (this.free.pop() as number) : this.grow();
    this.clear(base);
    return base;
  }

  /** A slot as new: times 0, SYN/FIN/RST not seen, no payload. */
  clear(base: number): void {
    const a = this.a;
    a[base + FIRST] = 0;
    a[base + LAST] = 0;
    for (let d = base + CLIENT; d <= base + SERVER; d += SERVER - CLIENT) {
      a[d + SYN_TS] = Number.NaN;
      a[d + FIN_TS] = Number.NaN;
      a[d + RST_TS] = Number.NaN;
      a[d + FIRST_DATA] = -1;
      a[d + LAST_DATA] = -1;
    }
  }

  /** The slot of an emitted flow, for reuse (the flow must not be read again). */
  give(base: number): void {
    this.free.push(base);
  }

  private grow(): number {
    const base = this.used;
    this.used += SLOT;
    if (this.used > this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    return base;
  }
}

export class Direction {
  packets = 0;
  /** Payload bytes, retransmissions not counted twice. */
  bytes = 0;
  retransmissions = 0;
  zeroWindow = 0;
  /** This direction's timestamps: times.a[at + SYN_TS …] (see FlowTimes). */
  private readonly times: FlowTimes;
  private readonly at: number;
  /** Payload cut by the snap length. */
  cut = false;
  /** Next in-order sequence number (valid once hasNext). Sequence numbers are kept as signed 32-bit integers (small integers to V8: no heap number per packet) and compared modulo 2^32. */
  next = 0;
  hasNext = false;
  /** Highest sequence end seen, to tell retransmissions (valid once hasHigh). */
  high = 0;
  hasHigh = false;
  /**
   * How far this direction's sequence space is known to reach, from what the capture holds of it
   * (valid once hasClaim): the end of each of its segments, counting SYN and FIN (not RST, which
   * takes none), and each acknowledgement the peer sent. Beyond the bytes seen (`high`), bytes
   * were sent that the capture lacks (see `missing`).
   */
  claim = 0;
  hasClaim = false;
  /** Where this direction's FIN sits in its sequence space (valid once its FIN was seen). */
  finSeq = 0;
  /** The SSH reader, made at this direction's first payload byte (until then the shared, never-fed EMPTY_STREAM). */
  ssh: SshStream = EMPTY_STREAM;
  private readonly server: boolean;
  private readonly kex: KexCache;
  private held: { seq: number; data: Buffer; ts: number }[] | null = null;
  /** More segments waited for a missing one than MAX_HELD: the hole is for good (see `missing`). */
  private lost = false;
  /** The SshStream object this direction made once and reuses (see Flow.reuse). */
  private own: SshStream | null = null;

  constructor(server: boolean, kex: KexCache, times: FlowTimes, at: number) {
    this.server = server;
    this.kex = kex;
    this.times = times;
    this.at = at;
  }

  /** As new, for the next flow that reuses this object (its times are cleared by the flow). */
  reset(): void {
    this.packets = 0;
    this.bytes = 0;
    this.retransmissions = 0;
    this.zeroWindow = 0;
    this.cut = false;
    this.next = 0;
    this.hasNext = false;
    this.high = 0;
    this.hasHigh = false;
    this.claim = 0;
    this.hasClaim = false;
    this.finSeq = 0;
    this.ssh = EMPTY_STREAM;
    this.held = null;
    this.lost = false;
  }

  /**
   * Bytes of this direction are missing from the capture (dropped by the capture, e.g. tcpdump
   * under load), so what the SSH reader saw ends at a hole and says nothing of what followed it:
   * a later segment arrived and the one before it never did, or the sequence space reaches past
   * the last byte seen: a FIN, RST or ACK of this direction beyond it, or the peer acknowledging
   * bytes (or a FIN) never seen. Judged at the end, so a segment captured late (reordered) fills it.
   */
  get missing(): boolean {
    return this.lost || (this.held !== null && this.held.length > 0) || this.tailMissing;
  }

  /** The claimed sequence space reaches past the bytes seen (and past the FIN, when it sits right after them). */
  private get tailMissing(): boolean {
    if (!this.hasClaim || !this.hasHigh) return false;
    const finTs = this.times.a[this.at + FIN_TS];
    const covered = finTs === finTs && this.finSeq === this.high ? (this.high + 1) | 0 : this.high;
    return ((this.claim - covered) | 0) > 0;
  }

  /** The peer acknowledged this direction up to `ack` (the next sequence number it expects). */
  acked(ack: number): void {
    this.reach(ack);
  }

  private reach(end: number): void {
    if (!this.hasClaim || ((end - this.claim) | 0) > 0) {
      this.claim = end;
      this.hasClaim = true;
    }
  }

  /** This direction's SSH reader at its first payload byte: the one an earlier connection used, reset, or a new one. */
  private ownStream(): SshStream {
    let own = this.own;
    if (own === null) own = this.own = new SshStream(this.server, this.kex);
    else own.reset();
    return own;
  }

  get synTs(): number | null {
    const t = this.times.a[this.at + SYN_TS];
    return t === t ? t : null;
  }

  get finTs(): number | null {
    const t = this.times.a[this.at + FIN_TS];
    return t === t ? t : null;
  }

  get rstTs(): number | null {
    const t = this.times.a[this.at + RST_TS];
    return t === t ? t : null;
  }

  /** Times of the first and last new payload, -1 until then. */
  get firstDataTs(): number {
    return this.times.a[this.at + FIRST_DATA];
  }

  get lastDataTs(): number {
    return this.times.a[this.at + LAST_DATA];
  }

  /** One segment of this direction (its time in `s.ts`). */
  segment(s: TcpSegment): void {
    const ts = s.ts;
    const a = this.times.a;
    const at = this.at;
    this.packets++;
    if (s.flags & SYN) {
      if (a[at + SYN_TS] !== a[at + SYN_TS]) a[at + SYN_TS] = ts;
      this.next = (s.seq + 1) | 0;
      this.hasNext = true;
      if (!this.hasHigh) {
        this.high = this.next;
        this.hasHigh = true;
      }
    }
    if (s.flags & RST && a[at + RST_TS] !== a[at + RST_TS]) a[at + RST_TS] = ts;
    if (s.window === 0 && !(s.flags & (RST | SYN))) this.zeroWindow++;
    const n = s.payloadLen;
    if (n > 0) this.data(s, n);
    const flags = s.flags;
    if (flags & FIN && a[at + FIN_TS] !== a[at + FIN_TS]) {
      a[at + FIN_TS] = ts;
      this.finSeq = (s.seq + n) | 0;
    }
    // how far this segment says the sequence space reaches (a RST takes no sequence number)
    this.reach(flags & RST ? s.seq : (s.seq + n + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) | 0);
  }

  private data(s: TcpSegment, n: number): void {
    const ts = s.ts;
    const seq = s.seq;
    const end = (seq + n) | 0;
    const behindHigh = this.hasHigh && ((end - this.high) | 0) <= 0;
    if (behindHigh) {
      // Nothing beyond the highest byte seen: a retransmission, unless it fills a hole that an
      // earlier-captured later segment left (reordering): then the SSH reader still needs it.
      const fillsHole = this.ssh.active && this.hasNext && ((end - this.next) | 0) > 0;
      if (!fillsHole) {
        this.retransmissions++;
        return;
      }
      this.bytes += Math.min(n, (end - this.next) | 0);
    } else {
      this.bytes += this.hasHigh ? Math.min(n, (end - this.high) | 0) : n;
      this.high = end;
      this.hasHigh = true;
    }
    const a = this.times.a;
    if (a[this.at + FIRST_DATA] === -1) a[this.at + FIRST_DATA] = ts;
    a[this.at + LAST_DATA] = ts;
    const captured = s.payloadEnd - s.payloadAt;
    if (captured < n) this.cut = true;
    if (this.ssh === EMPTY_STREAM) this.ssh = this.ownStream();
    if (!this.ssh.active) {
      this.next = end;
      this.hasNext = true;
      return;
    }
    if (!this.hasNext) {
      this.next = seq; // capture started mid-connection
      this.hasNext = true;
    }
    const ahead = (seq - this.next) | 0;
    if (ahead > 0) {
      // a segment before this one is missing (lost in the capture, or reordered)
      const held = (this.held ??= []);
      if (held.length < MAX_HELD) held.push({ seq, data: Buffer.from(s.buf.subarray(s.payloadAt, s.payloadEnd)), ts });
      else {
        this.ssh.gap();
        this.held = null;
        this.lost = true;
      }
      return;
    }
    this.deliver(s.buf, s.payloadAt + Math.min(-ahead, captured), s.payloadEnd, seq, n, ts);
    // drain held segments that are now in order
    for (let progress = true; progress && this.held !== null && this.held.length > 0 && this.ssh.active; ) {
      progress = false;
      for (let i = 0; i < this.held.length; i++) {
        const h = this.held[i];
        const d = ((h.seq - this.next) | 0);
        if (d <= 0) {
          this.held.splice(i, 1);
          if (((h.seq + h.data.length - this.next) | 0) > 0) this.deliver(h.data, -d, h.data.length, h.seq, h.data.length, h.ts);
          progress = true;
          break;
        }
      }
    }
  }

  /** Bytes buf[start, end) of the segment that began at `seq` with `n` payload bytes (the capture may hold fewer). */
  private deliver(buf: Buffer, start: number, end: number, seq: number, n: number, ts: number): void {
    const last = (seq + n) | 0;
    if (end > start) this.ssh.push(buf, start, end, ts);
    if (end - start < ((last - this.next) | 0)) this.ssh.gap(); // the snap length cut this segment
    this.next = last;
  }

}

/** Four bytes big-endian as a signed 32-bit integer (no bounds-checked Buffer method on the per-packet path). */
export function u32(b: Buffer, at: number): number {
  return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}

/**
 * A flow object outlives its connection: the analyzer reuses emitted ones (reuse()), so that the
 * few thousand open at a time are made once and grow old, instead of one new object graph per
 * connection promoted by every young GC. Nothing may keep a Flow past its emission.
 */
export class Flow {
  client = '';
  server = '';
  clientPort = 0;
  serverPort = 0;
  readonly c: Direction;
  readonly s: Direction;
  /** Timestamps in this flow's slot of `times` (given back by release()). */
  private readonly times: FlowTimes;
  private readonly at: number;
  /** The first packet was not a SYN: the capture began after the connection did. */
  midstream = false;
  /** The client's SYN was answered by a SYN-ACK. */
  synAck = false;
  /** The client's ACK completed the handshake. */
  established = false;
  /** Client ISN, to tell a new connection on the same ports. */
  clientIsn: number | null = null;
  /** The analyzer's bookkeeping: its map key, the IPv4 server address as a number, emitted already. */
  key: number | string = 0;
  done = false;
  /** The capture's number of this flow's first packet (1-based, as Wireshark numbers frames). */
  firstFrame = 0;
  /** IPv4: both addresses as 32-bit integers (no object per flow); IPv6: client then server address bytes. */
  private c4 = 0;
  private s4 = 0;
  private ends6: Buffer | null = null;

  setEnds(b: Buffer, ca: number, sa: number, n: number): void {
    if (n === 4) {
      this.c4 = u32(b, ca);
      this.s4 = u32(b, sa);
      return;
    }
    const e = (this.ends6 = Buffer.allocUnsafe(2 * n));
    b.copy(e, 0, ca, ca + n);
    b.copy(e, n, sa, sa + n);
  }

  /** Whether this flow is between these addresses and ports (client first). */
  sameEnds(b: Buffer, ca: number, sa: number, n: number, cp: number, sp: number): boolean {
    if (cp !== this.clientPort || sp !== this.serverPort) return false;
    const e = this.ends6;
    if (n === 4) return e === null && u32(b, ca) === this.c4 && u32(b, sa) === this.s4;
    if (e === null || e.length !== 2 * n) return false;
    for (let i = 0; i < n; i++) if (e[i] !== b[ca + i] || e[n + i] !== b[sa + i]) return false;
    return true;
  }

  readonly kex: KexCache;

  constructor(client: string, clientPort: number, server: string, serverPort: number, ts: number, firstFlags: number, kex: KexCache, times: FlowTimes) {
    this.kex = kex;
    this.times = times;
    const at = (this.at = times.take());
    this.c = new Direction(false, kex, times, at + CLIENT);
    this.s = new Direction(true, kex, times, at + SERVER);
    this.begin(client, clientPort, server, serverPort, ts, firstFlags);
  }

  /** This object as a new flow (the previous one was emitted and is no longer read). */
  reuse(client: string, clientPort: number, server: string, serverPort: number, ts: number, firstFlags: number): void {
    this.times.clear(this.at);
    this.c.reset();
    this.s.reset();
    this.synAck = false;
    this.established = false;
    this.clientIsn = null;
    this.key = 0;
    this.done = false;
    this.firstFrame = 0;
    this.c4 = 0;
    this.s4 = 0;
    this.ends6 = null;
    this.begin(client, clientPort, server, serverPort, ts, firstFlags);
  }

  private begin(client: string, clientPort: number, server: string, serverPort: number, ts: number, firstFlags: number): void {
    const times = this.times;
    const at = this.at;
    this.client = client;
    this.server = server;
    this.clientPort = clientPort;
    this.serverPort = serverPort;
    times.a[at + FIRST] = ts;
    times.a[at + LAST] = ts;
    this.midstream = !(firstFlags & SYN);
  }

  /** A packet of this flow (its time in `s.ts`); `fromClient` tells the direction. */
  get firstTs(): number {
    return this.times.a[this.at + FIRST];
  }

  get lastTs(): number {
    return this.times.a[this.at + LAST];
  }

  /** Gives the timestamp slot back: call once, after the flow's last read (its times are gone). */
  release(): void {
    this.times.give(this.at);
  }

  segment(s: TcpSegment, fromClient: boolean): void {
    this.times.a[this.at + LAST] = s.ts;
    if (fromClient) {
      if (s.flags & SYN && !(s.flags & ACK) && this.clientIsn === null) this.clientIsn = s.seq;
      if (this.synAck && !this.established && s.flags & ACK && !(s.flags & (SYN | RST))) this.established = true;
      this.c.segment(s);
      if (s.flags & ACK) this.s.acked(s.ack);
    } else {
      if ((s.flags & (SYN | ACK)) === (SYN | ACK)) this.synAck = true;
      this.s.segment(s);
      if (s.flags & ACK) this.c.acked(s.ack);
    }
    if (this.midstream && !this.established && s.payloadLen > 0) this.established = true;
  }

  /** Both sides closed (FIN each way) or one reset. */
  get closed(): boolean {
    return this.c.rstTs !== null || this.s.rstTs !== null || (this.c.finTs !== null && this.s.finTs !== null);
  }

  /** Whether a client SYN with this ISN starts a new connection on the same address and ports. */
  isNewConnection(s: TcpSegment): boolean {
    const flags = s.flags;
    const seq = s.seq;
    if (!(flags & SYN) || flags & ACK) return false;
    if (this.closed) return true;
    if (this.clientIsn === null) return this.c.packets > 0;
    return seq !== this.clientIsn;
  }
}
