/**
 * Synthetic captures for the pcap tests and the benchmark generator: TCP/IP packets (IPv4/IPv6,
 * optional IPv6 extension header), wrapped in any link type we read, written as pcap (either byte
 * order, µs or ns) or pcapng (several interfaces). Also TCP conversations (handshake, payloads,
 * FIN/RST) and the SSH bytes of a real exchange (identification, KEXINIT, NEWKEYS).
 */
import { isIP } from 'node:net';
import { buildKexInit, buildPacket } from '../../src/probe/ssh-wire.ts';

export type Format = 'pcap' | 'pcap-be' | 'pcap-ns' | 'pcapng' | 'pcapng-be';

function addrBytes(a: string): Buffer {
  if (isIP(a) === 4) return Buffer.from(a.split('.').map(Number));
  const [head, tail] = a.includes('::') ? a.split('::') : [a, ''];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  win?: number;
  payload?: Buffer;
  /** IPv6 only: put a destination-options extension header before TCP. */
  extHeader?: boolean;
}

/** An IP packet carrying one TCP segment. */
export function ipTcp(t: TcpSpec): Buffer {
  const payload = t.payload ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(t.sport, 0);
  tcp.writeUInt16BE(t.dport, 2);
  tcp.writeUInt32BE(t.seq >>> 0, 4);
  tcp.writeUInt32BE(t.ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = t.flags;
  tcp.writeUInt16BE(t.win ?? 64240, 14);
  const seg = Buffer.concat([tcp, payload]);
  if (isIP(t.src) === 4) {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + seg.length, 2);
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = 6;
    addrBytes(t.src).copy(ip, 12);
    addrBytes(t.dst).copy(ip, 16);
    return Buffer.concat([ip, seg]);
  }
  const ext = t.extHeader ? Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0); // dest options → TCP, PadN
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(ext.length + seg.length, 4);
  ip[6] = t.extHeader ? 60 : 6;
  ip[7] = 64;
  addrBytes(t.src).copy(ip, 8);
  addrBytes(t.dst).copy(ip, 24);
  return Buffer.concat([ip, ext, seg]);
}

/** Wraps an IP packet in a link-layer header. */
export function linkWrap(linkType: number, ip: Buffer, opts: { vlan?: number; bigEndianNull?: boolean } = {}): Buffer {
  const v6 = ip[0] >> 4 === 6;
  const et = v6 ? 0x86dd : 0x0800;
  switch (linkType) {
    case 1: {
      const tags = opts.vlan ?? 0;
      const h = Buffer.alloc(14 + 4 * tags);
      h.fill(0x02, 0, 12);
      let at = 12;
      for (let i = 0; i < tags; i++) {
        h.writeUInt16BE(i === 0 && tags > 1 ? 0x88a8 : 0x8100, at);
        h.writeUInt16BE(100 + i, at + 2);
        at += 4;
      }
      h.writeUInt16BE(et, at);
      return Buffer.concat([h, ip]);
    }
    case 113: {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0);
      h.writeUInt16BE(1, 2);
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(et, 14);
      return Buffer.concat([h, ip]);
    }
    case 276: {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(et, 0);
      h.writeUInt32BE(2, 4);
      h.writeUInt16BE(1, 8);
      h[11] = 6;
      return Buffer.concat([h, ip]);
    }
    case 101:
    case 228:
    case 229:
      return ip;
    case 0:
    case 108: {
      const h = Buffer.alloc(4);
      const fam = v6 ? 24 : 2;
      if (linkType === 108 || opts.bigEndianNull) h.writeUInt32BE(fam, 0);
      else h.writeUInt32LE(fam, 0);
      return Buffer.concat([h, ip]);
    }
    default:
      throw new Error(`linkWrap: link type ${linkType}`);
  }
}

/** Writes captures; `interfaces` lists the link type of each pcapng interface (pcap: the first). */
export class CaptureWriter {
  private readonly parts: Buffer[] = [];
  private readonly format: Format;
  private readonly be: boolean;
  readonly snaplen: number;

  constructor(format: Format, interfaces: number[], snaplen = 262144) {
    this.format = format;
    this.be = format === 'pcap-be' || format === 'pcapng-be';
    this.snaplen = snaplen;
    if (format.startsWith('pcapng')) {
      this.block(0x0a0d0d0a, this.shbBody());
      interfaces.forEach((l, i) => this.idb(l, i));
    } else {
      const h = Buffer.alloc(24);
      this.w32(h, format === 'pcap-ns' ? 0xa1b23c4d : 0xa1b2c3d4, 0);
      this.w16(h, 2, 4);
      this.w16(h, 4, 6);
      this.w32(h, snaplen, 16);
      this.w32(h, interfaces[0], 20);
      this.parts.push(h);
    }
  }

  private w16(b: Buffer, v: number, at: number): void {
    if (this.be) b.writeUInt16BE(v, at);
    else b.writeUInt16LE(v, at);
  }
  private w32(b: Buffer, v: number, at: number): void {
    if (this.be) b.writeUInt32BE(v >>> 0, at);
    else b.writeUInt32LE(v >>> 0, at);
  }
  private shbBody(): Buffer {
    const b = Buffer.alloc(16);
    this.w32(b, 0x1a2b3c4d, 0);
    this.w16(b, 1, 4);
    this.w16(b, 0, 6);
    b.fill(0xff, 8, 16); // section length unknown
    return b;
  }
  private block(type: number, body: Buffer): void {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    const b = Buffer.alloc(len);
    this.w32(b, type, 0);
    this.w32(b, len, 4);
    body.copy(b, 8);
    this.w32(b, len, len - 4);
    this.parts.push(b);
  }

  /** A new pcapng section (resets the interfaces); the caller then declares them again. */
  section(interfaces: number[]): void {
    this.block(0x0a0d0d0a, this.shbBody());
    interfaces.forEach((l, i) => this.idb(l, i));
  }

  /** An Interface Description Block; if_tsresol 9 (ns) on odd interfaces, the default µs (no option) on even ones. */
  private idb(linkType: number, index: number): void {
    const odd = index % 2 === 1;
    const b = Buffer.alloc(odd ? 16 : 8);
    this.w16(b, linkType, 0);
    this.w32(b, this.snaplen, 4);
    if (odd) {
      this.w16(b, 9, 8);
      this.w16(b, 1, 10);
      b[12] = 9;
    }
    this.block(1, b);
  }

  /** One packet at `ts` ms on interface `iface`. */
  packet(ts: number, frame: Buffer, iface = 0): void {
    const cap = Math.min(frame.length, this.snaplen);
    const data = frame.subarray(0, cap);
    if (this.format.startsWith('pcapng')) {
      // interface resolution: odd → ns, even → µs (see idb)
      const units = iface % 2 === 1 ? BigInt(Math.round(ts * 1e6)) : BigInt(Math.round(ts * 1e3));
      const b = Buffer.alloc(20 + cap);
      this.w32(b, iface, 0);
      this.w32(b, Number(units >> 32n), 4);
      this.w32(b, Number(units & 0xffffffffn), 8);
      this.w32(b, cap, 12);
      this.w32(b, frame.length, 16);
      data.copy(b, 20);
      this.block(6, b);
    } else {
      const h = Buffer.alloc(16);
      const sec = Math.floor(ts / 1000);
      const frac = this.format === 'pcap-ns' ? Math.round((ts - sec * 1000) * 1e6) : Math.round((ts - sec * 1000) * 1e3);
      this.w32(h, sec, 0);
      this.w32(h, frac, 4);
      this.w32(h, cap, 8);
      this.w32(h, frame.length, 12);
      this.parts.push(h, data);
    }
  }

  /** A pcapng block of a type readers must skip (a Name Resolution Block). */
  otherBlock(): void {
    this.block(4, Buffer.alloc(4));
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** Takes what was written so far (for streaming large captures). */
  drain(): Buffer {
    const b = Buffer.concat(this.parts);
    this.parts.length = 0;
    return b;
  }
}

export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const PSH = 8;
export const ACK = 16;

/** One step of a scripted conversation. */
export type Step =
  | { from: 'c' | 's'; data: Buffer | string; atMs?: number }
  | { from: 'c' | 's'; fin: true; atMs?: number }
  | { from: 'c' | 's'; rst: true; atMs?: number }
  | { from: 'c' | 's'; ack: true; atMs?: number; win?: number }
  /** The same data again (a retransmission of the last segment of that side). */
  | { from: 'c' | 's'; retransmit: true; atMs?: number };

export interface Conversation {
  client: string;
  server: string;
  cport: number;
  sport?: number;
  /** Start time in ms. */
  t0: number;
  /** 'full' (SYN, SYN-ACK, ACK), 'syn-only' (no answer), 'rejected' (RST to the SYN), 'none' (midstream). */
  handshake?: 'full' | 'syn-only' | 'rejected' | 'none';
  steps: Step[];
  extHeader?: boolean;
}

/** The IP packets of a conversation, with times (ms). Each step without atMs comes 1 ms after the previous. */
export function conversation(c: Conversation): { ts: number; ip: Buffer }[] {
  const out: { ts: number; ip: Buffer }[] = [];
  const sport = c.sport ?? 22;
  let cseq = 1000 + (c.cport * 7919) % 100000;
  let sseq = 5000000 + (c.cport * 104729) % 100000;
  let t = c.t0;
  const lastData: Record<'c' | 's', { seq: number; data: Buffer } | null> = { c: null, s: null };
  const pkt = (from: 'c' | 's', flags: number, payload?: Buffer, seqOverride?: number, win?: number) => {
    const fromC = from === 'c';
    out.push({
      ts: t,
      ip: ipTcp({
        src: fromC ? c.client : c.server,
        dst: fromC ? c.server : c.client,
        sport: fromC ? c.cport : sport,
        dport: fromC ? sport : c.cport,
        seq: seqOverride ?? (fromC ? cseq : sseq),
        ack: flags & ACK ? (fromC ? sseq : cseq) : 0,
        flags,
        payload,
        win,
        extHeader: c.extHeader,
      }),
    });
  };
  const hs = c.handshake ?? 'full';
  if (hs !== 'none') {
    pkt('c', SYN);
    cseq++;
    t += 0.1;
    if (hs === 'syn-only') return out;
    if (hs === 'rejected') {
      out.push({ ts: t, ip: ipTcp({ src: c.server, dst: c.client, sport, dport: c.cport, seq: 0, ack: cseq, flags: RST | ACK, extHeader: c.extHeader }) });
      return out;
    }
    pkt('s', SYN | ACK);
    sseq++;
    t += 0.1;
    pkt('c', ACK);
  }
  for (const st of c.steps) {
    t = st.atMs !== undefined ? c.t0 + st.atMs : t + 1;
    if ('data' in st) {
      const d = typeof st.data === 'string' ? Buffer.from(st.data, 'latin1') : st.data;
      const seq = st.from === 'c' ? cseq : sseq;
      pkt(st.from, PSH | ACK, d);
      lastData[st.from] = { seq, data: d };
      if (st.from === 'c') cseq = (cseq + d.length) >>> 0;
      else sseq = (sseq + d.length) >>> 0;
    } else if ('fin' in st) {
      pkt(st.from, FIN | ACK);
      if (st.from === 'c') cseq++;
      else sseq++;
    } else if ('rst' in st) pkt(st.from, RST | ACK);
    else if ('ack' in st) pkt(st.from, ACK, undefined, undefined, st.win);
    else {
      const l = lastData[st.from];
      if (l) pkt(st.from, PSH | ACK, l.data, l.seq);
    }
  }
  return out;
}

/** SSH bytes: an identification line, a KEXINIT packet, NEWKEYS, an encrypted-looking blob. */
export const ssh = {
  ident: (s: string) => `${s}\r\n`,
  kexinit(kex: string[], hostKey: string[], ciphers = ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'], macs = ['hmac-sha2-256-etm@openssh.com'], compression = ['none']): Buffer {
    return buildPacket(buildKexInit({ kex, hostKey, ciphersCtoS: ciphers, ciphersStoC: ciphers, macsCtoS: macs, macsStoC: macs, compressionCtoS: compression, compressionStoC: compression, languagesCtoS: [], languagesStoC: [] }));
  },
  newkeys: (): Buffer => buildPacket(Buffer.from([21])),
  kexMsg: (type: number, n = 64): Buffer => buildPacket(Buffer.concat([Buffer.from([type]), Buffer.alloc(n, 7)])),
  encrypted: (n: number): Buffer => Buffer.alloc(n, 0xa5),
};

export const SERVER_KEX = ['curve25519-sha256', 'ecdh-sha2-nistp256', 'ext-info-s', 'kex-strict-s-v00@openssh.com'];
export const CLIENT_KEX = ['curve25519-sha256', 'ext-info-c', 'kex-strict-c-v00@openssh.com'];

/** A complete SSH exchange up to encrypted traffic, then a client FIN. */
export function sshLoginSteps(): Step[] {
  return [
    { from: 's', data: ssh.ident('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3') },
    { from: 'c', data: ssh.ident('SSH-2.0-OpenSSH_9.6') },
    { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) },
    { from: 'c', data: ssh.kexinit(CLIENT_KEX, ['ssh-ed25519', 'rsa-sha2-512']) },
    { from: 'c', data: ssh.kexMsg(30) },
    { from: 's', data: Buffer.concat([ssh.kexMsg(31, 200), ssh.newkeys()]) },
    { from: 'c', data: ssh.newkeys() },
    { from: 'c', data: ssh.encrypted(100) },
    { from: 's', data: ssh.encrypted(300) },
    { from: 'c', fin: true },
    { from: 's', fin: true },
    { from: 'c', ack: true },
  ];
}
