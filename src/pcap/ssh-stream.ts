/**
 * What one direction of a TCP connection to an SSH port said, read from its in-order bytes until
 * the stream turns encrypted (NEWKEYS) or stops being SSH: the identification line (or what came
 * instead: an HTTP request line, a TLS ClientHello and its SNI, junk), the KEXINIT, a DISCONNECT,
 * NEWKEYS. Uses the probe's own wire code (src/probe/ssh-wire.ts). Pure; bounded: it keeps at
 * most MAX_PENDING unparsed bytes and stops reading after NEWKEYS.
 */
import { packetExtent, packetProblem, SSH_MSG_DISCONNECT, SSH_MSG_KEXINIT, type KexInit, type SshIdentification } from '../probe/ssh-wire.ts';
import type { KexCache } from './kex-cache.ts';

const SSH_MSG_NEWKEYS = 21;
/** An SSH packet is ≤ 35000 bytes in practice; the identification ≤ 255. More unparsed bytes than this: stop. */
const MAX_PENDING = 64 * 1024;
/** Lines a server may send before its identification (RFC 4253 §4.2); we keep a few. */
const MAX_PRE_LINES = 5;
const MAX_LINE = 1024;

export type SentInstead = 'http' | 'tls' | 'junk';

export interface SshStreamFacts {
  /** The identification line, as sent (null: none seen). */
  ident: string | null;
  parsedIdent: SshIdentification | null;
  /** Identification time (ms). */
  identTs: number | null;
  /** Server only: text lines before the identification (e.g. sshd's `Exceeded MaxStartups`, `Not allowed at this time`). */
  preLines: string[];
  /** What came instead of SSH, and a printable sample of it. */
  instead: SentInstead | null;
  insteadText: string | null;
  /** TLS ClientHello server name, when present. */
  sni: string | null;
  kexinit: KexInit | null;
  kexinitTs: number | null;
  newkeysTs: number | null;
  disconnect: { code: number; message: string } | null;
  /** Why parsing stopped early: `bad_packet …`, `gap`, `too_long`. */
  broken: string | null;
  /** Unencrypted packets read. */
  packets: number;
}

/** The shared empty preLines (most streams have none): replaced by a fresh array on the first line, never pushed to. */
const NO_LINES: string[] = [];

/** The facts are the stream's own fields (one object per stream, not two: every connection has two streams). */
export class SshStream implements SshStreamFacts {
  ident: string | null = null;
  parsedIdent: SshIdentification | null = null;
  identTs: number | null = null;
  preLines: string[] = NO_LINES;
  instead: SentInstead | null = null;
  insteadText: string | null = null;
  sni: string | null = null;
  kexinit: KexInit | null = null;
  kexinitTs: number | null = null;
  newkeysTs: number | null = null;
  disconnect: { code: number; message: string } | null = null;
  broken: string | null = null;
  packets = 0;

  /** What this direction said (SshStreamFacts). */
  get facts(): SshStreamFacts {
    return this;
  }

  /** False once the stream is encrypted, not SSH, or unreadable: the caller stops feeding it. */
  active = true;
  private readonly server: boolean;
  private pending: Buffer | null = null;
  private phase: 'ident' | 'packets' = 'ident';
  private readonly kex: KexCache;

  constructor(server: boolean, kex: KexCache) {
    this.server = server;
    this.kex = kex;
  }

  /** As new, for the next connection (a Flow's direction reuses its stream; records keep no part that is changed in place). */
  reset(): void {
    this.ident = null;
    this.parsedIdent = null;
    this.identTs = null;
    this.preLines = NO_LINES;
    this.instead = null;
    this.insteadText = null;
    this.sni = null;
    this.kexinit = null;
    this.kexinitTs = null;
    this.newkeysTs = null;
    this.disconnect = null;
    this.broken = null;
    this.packets = 0;
    this.active = true;
    this.pending = null;
    this.phase = 'ident';
  }

  /** In-order bytes of this direction: buf[start, end) (no view is made of them: a capture has many). */
  push(bytes: Buffer, start: number, end: number, ts: number): void {
    if (!this.active || end <= start) return;
    let buf = bytes;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, bytes.subarray(start, end)]);
      start = 0;
      end = buf.length;
    }
    this.pending = null;
    let pos = start;
    while (this.active && pos < end) {
      const used = this.phase === 'ident' ? this.identStep(buf, pos, end, ts) : this.packetStep(buf, pos, end, ts);
      if (used === 0) break;
      pos += used;
    }
    if (this.active && pos < end) {
      if (end - pos > MAX_PENDING) return this.stop('too_long');
      this.pending = Buffer.from(buf.subarray(pos, end));
    }
  }

  /** A hole in the stream (snap length, lost segment): nothing after it can be framed. */
  gap(): void {
    if (this.active) this.stop('gap');
  }

  private stop(reason: string): void {
    if (this.facts.broken === null) this.facts.broken = reason;
    this.active = false;
    this.pending = null;
  }

  private identStep(buf: Buffer, pos: number, end: number, ts: number): number {
    const f = this.facts;
    if (!this.server && f.ident === null && f.preLines.length === 0) {
      // A client's first bytes: TLS and binary junk have no line end to wait for.
      if (buf[pos] === 0x16 && end - pos >= 2 && buf[pos + 1] === 0x03) {
        f.instead = 'tls';
        f.sni = clientHelloSni(buf.subarray(pos, end));
        f.insteadText = `TLS handshake${f.sni ? ` (SNI ${f.sni})` : ''}`;
        this.active = false;
        return end - pos;
      }
    }
    // the line end, looked for in [pos, end) and no further than a line may be long
    let nl = -1;
    for (let i = pos, stop = Math.min(end, pos + MAX_LINE + 1); i < stop; i++) {
      if (buf[i] === 10) {
        nl = i;
        break;
      }
    }
    if (nl < 0 && end - pos > MAX_LINE + 1) {
      // a line longer than any we keep: it still ends at its newline (if one is in these bytes)
      const k = buf.indexOf(10, pos + MAX_LINE + 1);
      nl = k >= 0 && k < end ? k : -1;
    }
    const lineEnd = nl < 0 ? end : nl;
    if (nl < 0 && end - pos < MAX_LINE) {
      // Not a whole line yet; junk that cannot become an identification is decided now.
      if (!this.server && f.ident === null && !couldBeText(buf, pos, lineEnd)) return this.junk(buf, pos, end);
      return 0;
    }
    let lineStop = Math.min(lineEnd, pos + MAX_LINE);
    if (lineStop > pos && buf[lineStop - 1] === 13) lineStop--; // without its CR (no regex per line)
    const line = buf.toString('latin1', pos, lineStop);
    const used = (nl < 0 ? end : nl + 1) - pos;
    if (line.startsWith('SSH-')) {
      const id = this.kex.ident(line, printable);
      f.ident = id.text;
      f.identTs = ts;
      f.parsedIdent = id.parsed;
      this.phase = 'packets';
      return used;
    }
    if (this.server && f.preLines.length < MAX_PRE_LINES) {
      if (f.preLines === NO_LINES) f.preLines = [];
      f.preLines.push(printable(line));
      return used;
    }
    if (this.server) return used;
    // A client must send its identification first (RFC 4253 §4.2): anything else is not SSH.
    if (/^(?:GET|POST|HEAD|PUT|DELETE|OPTIONS|CONNECT|PATCH|TRACE|PRI) /.test(line) || line.includes(' HTTP/1.')) {
      f.instead = 'http';
      f.insteadText = printable(line).slice(0, 200);
    } else return this.junk(buf, pos, end);
    this.active = false;
    return end - pos;
  }

  private junk(buf: Buffer, pos: number, end: number): number {
    this.facts.instead = 'junk';
    this.facts.insteadText = printable(buf.toString('latin1', pos, Math.min(end, pos + 64)));
    this.active = false;
    return end - pos;
  }

  private packetStep(buf: Buffer, pos: number, end: number, ts: number): number {
    const n = packetExtent(buf, pos, end);
    if (n === 0) return 0;
    if (n < 0) {
      this.stop(`bad_packet: ${packetProblem(buf, pos)}`);
      return 0;
    }
    const f = this.facts;
    f.packets++;
    // the payload is buf[pos + 5, payloadEnd): a view only for the packets we read (KEXINIT, DISCONNECT)
    const payloadEnd = pos + n - buf[pos + 4];
    const type = payloadEnd > pos + 5 ? buf[pos + 5] : -1;
    if (type === SSH_MSG_KEXINIT && f.kexinit === null) {
      try {
        f.kexinit = this.kex.parse(buf.subarray(pos + 5, payloadEnd));
        f.kexinitTs = ts;
      } catch (e) {
        this.stop(`bad_kexinit: ${(e as Error).message}`);
        return 0;
      }
    } else if (type === SSH_MSG_NEWKEYS) {
      f.newkeysTs = ts;
      this.active = false; // encrypted from here on
      this.pending = null;
      return 0;
    } else if (type === SSH_MSG_DISCONNECT && payloadEnd - pos - 5 >= 9) {
      const payload = buf.subarray(pos + 5, payloadEnd);
      const code = payload.readUInt32BE(1);
      const len = payload.readUInt32BE(5);
      f.disconnect = { code, message: printable(payload.toString('utf8', 9, Math.min(payload.length, 9 + Math.min(len, 512)))) };
    }
    return n;
  }
}

/** Whether these bytes can still be the start of a text line (printable ASCII, CR, tab). */
function couldBeText(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to && i < from + 64; i++) {
    const c = buf[i];
    if ((c < 0x20 && c !== 9 && c !== 13) || c > 0x7e) return false;
  }
  return true;
}

/** Client text made safe to print: control and non-ASCII bytes as \xHH. */
export function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The server_name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), or null. Bounds-checked throughout. */
export function clientHelloSni(b: Buffer): string | null {
  // record header (5) + handshake header (4) + version (2) + random (32)
  if (b.length < 43 || b[0] !== 0x16 || b[5] !== 0x01) return null;
  let p = 43;
  const skip = (lenBytes: number): boolean => {
    if (p + lenBytes > b.length) return false;
    const n = lenBytes === 1 ? b[p] : b.readUInt16BE(p);
    p += lenBytes + n;
    return p <= b.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return null; // session id, cipher suites, compression
  if (p + 2 > b.length) return null;
  const extEnd = Math.min(b.length, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    p += 4;
    if (type === 0 && p + 5 <= extEnd) {
      const nameType = b[p + 2];
      const nameLen = b.readUInt16BE(p + 3);
      if (nameType === 0 && p + 5 + nameLen <= extEnd) return printable(b.toString('latin1', p + 5, p + 5 + nameLen));
      return null;
    }
    p += len;
  }
  return null;
}
