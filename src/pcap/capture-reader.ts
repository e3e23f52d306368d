/**
 * A streaming reader of capture files: classic pcap (both byte orders, micro- and nanosecond
 * timestamps) and pcapng (several sections and interfaces; Enhanced, Simple and obsolete Packet
 * Blocks; every other block skipped by its length). Pure: bytes in (`push`, any chunking), packets
 * out through a callback; the packet bytes are a view valid only during the callback.
 *
 * Why our own and not an npm package: the pcap parsers on npm are unmaintained, most read pcap
 * only (no pcapng, which is what dumpcap/Wireshark write by default), several crash on a cut or
 * corrupt file, and none is bounded in memory on a stream. This one is ~250 lines and fuzzed
 * (test/pcap/fuzz.test.ts): it never throws on bad input, it reports it (`error`).
 *
 * Memory: at most one record is carried between chunks, and a record is refused above
 * MAX_RECORD bytes, so the reader holds O(chunk + MAX_RECORD) whatever the file size.
 */

/** One captured packet: bytes buf[start, end) of the reader's buffer (no view is made per packet: copy what you keep). */
export interface CapturedPacket {
  /** Capture time in ms since the epoch (fractional). */
  ts: number;
  /** LINKTYPE_* of the interface. */
  linkType: number;
  buf: Buffer;
  start: number;
  end: number;
  /** Length on the wire (≥ end − start; larger when the snap length cut the packet). */
  origLen: number;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** Larger records are corrupt (pcap's own maximum snap length is 262144; pcapng blocks hold one packet). */
export const MAX_RECORD = 1 << 24;

interface Interface {
  linkType: number;
  /** Timestamp units per millisecond. */
  unitsPerMs: number;
  /** if_tsoffset, in ms. */
  offsetMs: number;
}

const PCAPNG_SHB = 0x0a0d0d0a;
/** The largest time a Date can hold (ms); a damaged timestamp beyond it (or negative) becomes 0. */
const MAX_TIME_MS = 8.64e15;

function saneTime(ms: number): number {
  return ms >= 0 && ms <= MAX_TIME_MS ? ms : 0;
}
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export class CaptureReader {
  format: CaptureFormat | null = null;
  /** Set once, on the first unreadable structure; the reader then ignores further input. */
  error: string | null = null;
  /** Bytes consumed (for error positions). */
  offset = 0;
  packets = 0;
  /** pcapng blocks of other types skipped. */
  skippedBlocks = 0;
  /** Packets whose interface id names no interface (dropped). */
  badInterface = 0;
  private carry: Buffer | null = null;
  private le = true;
  private pcapLink = 0;
  private pcapUnitsPerMs = 1000;
  private pcapSnap = 262144;
  private ifaces: Interface[] = [];
  private readonly onPacket: (p: CapturedPacket) => void;
  private readonly scratch: CapturedPacket = { ts: 0, linkType: 0, buf: Buffer.alloc(0), start: 0, end: 0, origLen: 0 };

  constructor(onPacket: (p: CapturedPacket) => void) {
    this.onPacket = onPacket;
  }

  /** Feeds the next bytes of the file. */
  push(chunk: Buffer): void {
    if (this.error !== null || chunk.length === 0) return;
    let pos = 0;
    // A record cut by the previous chunk: join the leftover with just enough of this chunk (not all of it: no copy of the file).
    for (let k = Math.min(chunk.length, 4096); this.carry !== null; k = Math.min(chunk.length, k * 8)) {
      const carry: Buffer = this.carry;
      const buf = Buffer.concat([carry, chunk.subarray(0, k)]);
      const used = this.step(buf, 0);
      if (used < 0) return;
      if (used === 0) {
        if (k < chunk.length) continue;
        this.carry = buf;
        return;
      }
      this.offset += used;
      if (used < carry.length) this.carry = carry.subarray(used);
      else {
        this.carry = null;
        pos = used - carry.length;
      }
    }
    for (;;) {
      const used = this.step(chunk, pos);
      if (used < 0) return; // error set
      if (used === 0) break; // need more bytes
      pos += used;
      this.offset += used;
    }
    if (pos < chunk.length) this.carry = Buffer.from(chunk.subarray(pos)); // own copy: the caller may reuse its chunk buffer
  }

  private step(buf: Buffer, pos: number): number {
    return this.format === null ? this.header(buf, pos) : this.format === 'pcapng' ? this.block(buf, pos) : this.record(buf, pos);
  }

  /** Call at the end of input: a partial record left over is reported (the packets before it were delivered). */
  end(): void {
    if (this.error !== null) return;
    if (this.format === null) this.fail(this.carry === null ? 'empty input: not a capture file' : 'too short for a capture file header');
    else if (this.carry !== null) this.fail(`file ends inside a ${this.format === 'pcapng' ? 'block' : 'packet record'} (${this.carry.length} bytes left over; cut capture?)`);
  }

  private fail(msg: string): -1 {
    this.error = `byte ${this.offset}: ${msg}`;
    this.carry = null;
    return -1;
  }

  private u32(buf: Buffer, at: number): number {
    // by hand: Buffer's readUInt32LE/BE check their bounds on every call (the callers have checked)
    return this.le
      ? (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16)) + buf[at + 3] * 0x1000000
      : buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
  }

  private u16(buf: Buffer, at: number): number {
    return this.le ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  private header(buf: Buffer, pos: number): number {
    if (buf.length - pos < 4) return 0;
    const magicBE = buf.readUInt32BE(pos);
    if (magicBE === PCAPNG_SHB) {
      this.format = 'pcapng';
      return this.block(buf, pos);
    }
    let ns: boolean;
    if (magicBE === 0xa1b2c3d4) [this.le, ns] = [false, false];
    else if (magicBE === 0xd4c3b2a1) [this.le, ns] = [true, false];
    else if (magicBE === 0xa1b23c4d) [this.le, ns] = [false, true];
    else if (magicBE === 0x4d3cb2a1) [this.le, ns] = [true, true];
    else return this.fail(`not a pcap or pcapng file (magic ${magicBE.toString(16).padStart(8, '0')})`);
    if (buf.length - pos < 24) return 0;
    this.format = ns ? 'pcap-ns' : 'pcap';
    this.pcapUnitsPerMs = ns ? 1e6 : 1e3;
    const snap = this.u32(buf, pos + 16);
    this.pcapSnap = snap === 0 || snap > MAX_RECORD ? MAX_RECORD : Math.max(snap, 262144);
    this.pcapLink = this.u32(buf, pos + 20) & 0x0fffffff; // upper bits: FCS length
    return 24;
  }

  private record(buf: Buffer, pos: number): number {
    if (buf.length - pos < 16) return 0;
    const incl = this.u32(buf, pos + 8);
    const orig = this.u32(buf, pos + 12);
    if (incl > this.pcapSnap) return this.fail(`packet record of ${incl} bytes, larger than the snap length (corrupt file)`);
    if (buf.length - pos < 16 + incl) return 0;
    const sec = this.u32(buf, pos);
    const frac = this.u32(buf, pos + 4);
    const p = this.scratch;
    p.ts = saneTime(sec * 1000 + frac / this.pcapUnitsPerMs);
    p.linkType = this.pcapLink;
    p.buf = buf;
    p.start = pos + 16;
    p.end = pos + 16 + incl;
    p.origLen = orig < incl ? incl : orig;
    this.packets++;
    this.onPacket(p);
    return 16 + incl;
  }

  private block(buf: Buffer, pos: number): number {
    if (buf.length - pos < 12) return 0;
    const typeBE = buf.readUInt32BE(pos);
    if (typeBE === PCAPNG_SHB) {
      // The section's byte order comes from its own byte-order magic.
      const bom = buf.readUInt32LE(pos + 8);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) this.le = false;
      else return this.fail('pcapng section header with an unknown byte-order magic');
    }
    const type = this.u32(buf, pos);
    const len = this.u32(buf, pos + 4);
    if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) return this.fail(`pcapng block of type ${type} with an impossible length ${len}`);
    if (buf.length - pos < len) return 0;
    if (this.u32(buf, pos + len - 4) !== len) return this.fail(`pcapng block of type ${type}: trailing length differs from ${len} (corrupt file)`);
    const body = pos + 8;
    const bodyEnd = pos + len - 4;
    switch (type) {
      case PCAPNG_SHB:
        if (len < 28) return this.fail('pcapng section header too short');
        this.ifaces = [];
        break;
      case 1: // Interface Description Block
        if (bodyEnd - body < 8) return this.fail('pcapng interface description too short');
        this.ifaces.push(this.interfaceBlock(buf, body, bodyEnd));
        break;
      case 6: // Enhanced Packet Block
      case 2: {
        // obsolete Packet Block: 2-byte interface id, 2-byte drop count, then as EPB
        if (bodyEnd - body < 20) return this.fail(`pcapng packet block too short`);
        const ifId = type === 6 ? this.u32(buf, body) : this.u16(buf, body);
        const hi = this.u32(buf, body + 4);
        const lo = this.u32(buf, body + 8);
        const cap = this.u32(buf, body + 12);
        const orig = this.u32(buf, body + 16);
        if (cap > bodyEnd - body - 20) return this.fail(`pcapng packet block: captured length ${cap} exceeds its block`);
        const iface = this.ifaces[ifId];
        if (iface === undefined) {
          this.badInterface++;
          break;
        }
        const p = this.scratch;
        p.ts = saneTime((hi * 4294967296 + lo) / iface.unitsPerMs + iface.offsetMs);
        p.linkType = iface.linkType;
        p.buf = buf;
        p.start = body + 20;
        p.end = body + 20 + cap;
        p.origLen = orig < cap ? cap : orig;
        this.packets++;
        this.onPacket(p);
        break;
      }
      case 3: {
        // Simple Packet Block: interface 0, no timestamp (we give it 0)
        if (bodyEnd - body < 4) return this.fail('pcapng simple packet block too short');
        const iface = this.ifaces[0];
        if (iface === undefined) {
          this.badInterface++;
          break;
        }
        const orig = this.u32(buf, body);
        const cap = Math.min(orig, bodyEnd - body - 4);
        const p = this.scratch;
        p.ts = 0;
        p.linkType = iface.linkType;
        p.buf = buf;
        p.start = body + 4;
        p.end = body + 4 + cap;
        p.origLen = orig < cap ? cap : orig;
        this.packets++;
        this.onPacket(p);
        break;
      }
      default:
        this.skippedBlocks++;
    }
    return len;
  }

  private interfaceBlock(buf: Buffer, body: number, end: number): Interface {
    const iface: Interface = { linkType: this.u16(buf, body), unitsPerMs: 1000, offsetMs: 0 };
    // Options: code(2) length(2) value padded to 4; opt_endofopt = 0.
    let at = body + 8;
    for (let n = 0; at + 4 <= end && n < 256; n++) {
      const code = this.u16(buf, at);
      const olen = this.u16(buf, at + 2);
      if (code === 0 || at + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        const r = buf[at + 4];
        const perSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** (r & 0x7f);
        if (Number.isFinite(perSecond) && perSecond >= 1) iface.unitsPerMs = perSecond / 1000;
      } else if (code === 14 && olen >= 8) {
        const hi = this.le ? buf.readInt32LE(at + 8) : buf.readInt32BE(at + 4);
        const lo = this.le ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 8);
        iface.offsetMs = (hi * 4294967296 + lo) * 1000;
      }
      at += 4 + olen + ((4 - (olen % 4)) % 4);
    }
    return iface;
  }
}
