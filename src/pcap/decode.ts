/**
 * Link layer → IP → TCP, for one captured packet. Link types: Ethernet (1, with 802.1Q / 802.1ad
 * / QinQ tags), Linux cooked capture v1 (113) and v2 (276, `tcpdump -i any`), raw IP (101, 12,
 * 14, 228, 229), BSD loopback / null (0) and OpenBSD loop (108). IPv4 (options; non-first
 * fragments skipped) and IPv6 (hop-by-hop, routing, destination options, fragment and AH
 * extension headers). Pure; never throws: anything it cannot read is a `null` with a reason count.
 *
 * The segment is written into a caller-owned scratch object (no allocation per packet); its
 * payload is a view into the packet.
 */

export interface TcpSegment {
  /** 4 or 6. */
  family: number;
  /** The buffer the packet lies in; addresses and payload are offsets into it (no views made per packet). */
  buf: Buffer;
  srcAt: number;
  dstAt: number;
  /** 4 or 16. */
  addrLen: number;
  srcPort: number;
  dstPort: number;
  /** As signed 32-bit integers (compare modulo 2^32). */
  seq: number;
  ack: number;
  /** TCP flag bits (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128). */
  flags: number;
  window: number;
  /** Captured payload: buf[payloadAt, payloadEnd). */
  payloadAt: number;
  payloadEnd: number;
  /** Payload bytes the IP header declares (≥ payloadEnd − payloadAt; larger when the snap length cut it). */
  payloadLen: number;
  /** Capture time (ms), set by the analyzer: read from here, not passed as an argument (a double argument is boxed on every call). */
  ts: number;
}

export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const ACK = 16;

export type DecodeSkip = 'link' | 'not_ip' | 'not_tcp' | 'fragment' | 'truncated';

const EMPTY = Buffer.alloc(0);

export function newSegment(): TcpSegment {
  return { family: 4, buf: EMPTY, srcAt: 0, dstAt: 0, addrLen: 4, srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, payloadAt: 0, payloadEnd: 0, payloadLen: 0, ts: 0.5 };
}

/** The link types we read, by LINKTYPE number. */
export const LINK_TYPES: Readonly<Record<number, string>> = {
  0: 'BSD loopback (null)',
  1: 'Ethernet',
  12: 'raw IP',
  14: 'raw IP',
  101: 'raw IP',
  108: 'OpenBSD loopback',
  113: 'Linux cooked capture v1',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked capture v2',
};

/** Fills `out` from the packet d[start, end); returns null, or why the packet is not a TCP segment we can read. */
export function decodeTcp(linkType: number, d: Buffer, start: number, end: number, out: TcpSegment): DecodeSkip | null {
  out.buf = d;
  const len = end - start;
  let at: number;
  let ethertype = -1; // -1: take the IP version from the first nibble
  switch (linkType) {
    case 1: {
      if (len < 14) return 'truncated';
      ethertype = (d[start + 12] << 8) | d[start + 13];
      at = start + 14;
      for (let tags = 0; (ethertype === 0x8100 || ethertype === 0x88a8 || ethertype === 0x9100) && tags < 4; tags++) {
        if (end < at + 4) return 'truncated';
        ethertype = (d[at + 2] << 8) | d[at + 3];
        at += 4;
      }
      break;
    }
    case 113:
      if (len < 16) return 'truncated';
      ethertype = (d[start + 14] << 8) | d[start + 15];
      at = start + 16;
      break;
    case 276:
      if (len < 20) return 'truncated';
      ethertype = (d[start] << 8) | d[start + 1];
      at = start + 20;
      break;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      at = start;
      break;
    case 0:
    case 108: {
      if (len < 4) return 'truncated';
      // AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 by OS. Null (0) is in the capturing host's byte order.
      const be = d.readUInt32BE(start);
      const fam = linkType === 108 || be < 256 ? be : d.readUInt32LE(start);
      if (fam === 2) ethertype = 0x0800;
      else if (fam === 24 || fam === 28 || fam === 30) ethertype = 0x86dd;
      else return 'not_ip';
      at = start + 4;
      break;
    }
    default:
      return 'link';
  }
  if (ethertype === -1) {
    if (end <= at) return 'truncated';
    const v = d[at] >> 4;
    ethertype = v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0;
  }
  if (ethertype === 0x0800) return ipv4(d, at, end, out);
  if (ethertype === 0x86dd) return ipv6(d, at, end, out);
  return 'not_ip';
}

function ipv4(d: Buffer, at: number, end: number, out: TcpSegment): DecodeSkip | null {
  if (end < at + 20) return 'truncated';
  if (d[at] >> 4 !== 4) return 'not_ip';
  const ihl = (d[at] & 15) * 4;
  if (ihl < 20) return 'not_ip';
  if (d[at + 9] !== 6) return 'not_tcp';
  const total = (d[at + 2] << 8) | d[at + 3];
  const frag = ((d[at + 6] & 0x1f) << 8) | d[at + 7];
  if (frag !== 0) return 'fragment';
  if (end < at + ihl) return 'truncated';
  out.family = 4;
  out.srcAt = at + 12;
  out.dstAt = at + 16;
  out.addrLen = 4;
  // total 0: TCP segmentation offload on the capturing host; trust the captured length.
  const ipEnd = total >= ihl ? at + total : -1;
  return tcp(d, at + ihl, ipEnd, end, out);
}

function ipv6(d: Buffer, at: number, end: number, out: TcpSegment): DecodeSkip | null {
  if (end < at + 40) return 'truncated';
  if (d[at] >> 4 !== 6) return 'not_ip';
  const plen = (d[at + 4] << 8) | d[at + 5];
  let next = d[at + 6];
  out.family = 6;
  out.srcAt = at + 8;
  out.dstAt = at + 24;
  out.addrLen = 16;
  const ipEnd = plen === 0 ? -1 : at + 40 + plen; // 0: jumbogram or offload
  let p = at + 40;
  for (let n = 0; n < 8; n++) {
    if (next === 6) return tcp(d, p, ipEnd, end, out);
    if (next === 0 || next === 43 || next === 60) {
      if (end < p + 2) return 'truncated';
      next = d[p];
      p += (d[p + 1] + 1) * 8;
    } else if (next === 44) {
      if (end < p + 8) return 'truncated';
      const offset = ((d[p + 2] << 8) | d[p + 3]) >> 3;
      if (offset !== 0) return 'fragment';
      next = d[p];
      p += 8;
    } else if (next === 51) {
      if (end < p + 2) return 'truncated';
      next = d[p];
      p += (d[p + 1] + 2) * 4;
    } else return 'not_tcp';
  }
  return 'not_tcp';
}

function tcp(d: Buffer, at: number, ipEnd: number, end: number, out: TcpSegment): DecodeSkip | null {
  if (end < at + 20) return 'truncated';
  out.srcPort = (d[at] << 8) | d[at + 1];
  out.dstPort = (d[at + 2] << 8) | d[at + 3];
  // signed 32-bit (small integers to V8; the flow compares them modulo 2^32)
  out.seq = (d[at + 4] << 24) | (d[at + 5] << 16) | (d[at + 6] << 8) | d[at + 7];
  out.ack = (d[at + 8] << 24) | (d[at + 9] << 16) | (d[at + 10] << 8) | d[at + 11];
  const off = (d[at + 12] >> 4) * 4;
  out.flags = d[at + 13];
  out.window = (d[at + 14] << 8) | d[at + 15];
  if (off < 20) return 'not_tcp';
  const pStart = at + off;
  const declaredEnd = ipEnd < 0 ? end : ipEnd; // also trims Ethernet padding
  const capEnd = Math.min(declaredEnd, end);
  out.payloadAt = pStart;
  out.payloadEnd = pStart < capEnd ? capEnd : pStart;
  out.payloadLen = declaredEnd > pStart ? declaredEnd - pStart : 0;
  return null;
}
