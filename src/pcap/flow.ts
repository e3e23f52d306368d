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

export class Direction {
  packets = 0;
  /** Payload bytes, retransmissions not counted twice. */
  bytes = 0;
  retransmissions = 0;
  zeroWindow = 0;
  synTs: number | null = null;
  finTs: number | null = null;
  rstTs: number | null = null;
  /** Times of the first and last new payload, -1 until then. Plain numbers, never null: V8 then updates them in place instead of allocating a heap number per packet. */
  firstDataTs = -1;
  lastDataTs = -1;
  /** Payload cut by the snap length. */
  cut = false;
  /** Next in-order sequence number (valid once hasNext). Sequence numbers are kept as signed 32-bit integers (small integers to V8: no heap number per packet) and compared modulo 2^32. */
  next = 0;
  hasNext = false;
  /** Highest sequence end seen, to tell retransmissions (valid once hasHigh). */
  high = 0;
  hasHigh = false;
  /** The SSH reader, made at this direction's first payload byte (until then the shared, never-fed EMPTY_STREAM). */
  ssh: SshStream = EMPTY_STREAM;
  private readonly server: boolean;
  private readonly kex: KexCache;
  private held: { seq: number; data: Buffer; ts: number }[] | null = null;

  constructor(server: boolean, kex: KexCache) {
    this.server = server;
    this.kex = kex;
  }

  /** One segment of this direction (its time in `s.ts`). */
  segment(s: TcpSegment): void {
    const ts = s.ts;
    this.packets++;
    if (s.flags & SYN) {
      if (this.synTs === null) this.synTs = ts;
      this.next = (s.seq + 1) | 0;
      this.hasNext = true;
      if (!this.hasHigh) {
        this.high = this.next;
        this.hasHigh = true;
      }
    }
    if (s.flags & RST && this.rstTs === null) this.rstTs = ts;
    if (s.window === 0 && !(s.flags & (RST | SYN))) this.zeroWindow++;
    const n = s.payloadLen;
    if (n > 0) this.data(s, n);
    if (s.flags & FIN && this.finTs === null) this.finTs = ts;
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
    if (this.firstDataTs === -1) this.firstDataTs = ts;
    this.lastDataTs = ts;
    const captured = s.payloadEnd - s.payloadAt;
    if (captured < n) this.cut = true;
    if (this.ssh === EMPTY_STREAM) this.ssh = new SshStream(this.server, this.kex);
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

export class Flow {
  readonly client: string;
  readonly server: string;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly c: Direction;
  readonly s: Direction;
  readonly firstTs: number;
  lastTs: number;
  /** The first packet was not a SYN: the capture began after the connection did. */
  readonly midstream: boolean;
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

  constructor(client: string, clientPort: number, server: string, serverPort: number, ts: number, firstFlags: number, kex: KexCache) {
    this.kex = kex;
    this.c = new Direction(false, kex);
    this.s = new Direction(true, kex);
    this.client = client;
    this.server = server;
    this.clientPort = clientPort;
    this.serverPort = serverPort;
    this.firstTs = ts;
    this.lastTs = ts;
    this.midstream = !(firstFlags & SYN);
  }

  /** A packet of this flow (its time in `s.ts`); `fromClient` tells the direction. */
  segment(s: TcpSegment, fromClient: boolean): void {
    this.lastTs = s.ts;
    if (fromClient) {
      if (s.flags & SYN && !(s.flags & ACK) && this.clientIsn === null) this.clientIsn = s.seq;
      if (this.synAck && !this.established && s.flags & ACK && !(s.flags & (SYN | RST))) this.established = true;
      this.c.segment(s);
    } else {
      if ((s.flags & (SYN | ACK)) === (SYN | ACK)) this.synAck = true;
      this.s.segment(s);
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
