/**
 * IP address and CIDR helpers for the guard: strict parsing (node:net gates what ipaddr.js
 * would accept too loosely, e.g. `1.2.3` or octal `010.1.1.1`), canonical text, prefixes for
 * ban aggregation, and range matching for allowlists. Pure: no I/O.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

/** A parsed network: canonical text `a.b.c.d/n` or `x::/n`, family, and the ipaddr.js form for matching. */
export interface Cidr {
  readonly text: string;
  readonly family: Family;
  readonly bits: number;
  readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
}

/**
 * Canonical form of one address, or null when `s` is not exactly an IPv4 or IPv6 address.
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes the IPv4 address, so the same host is one key.
 * A zone suffix (`fe80::1%eth0`) is dropped.
 */
export function canonicalAddress(s: string): string | null {
  const bare = s.includes('%') ? s.slice(0, s.indexOf('%')) : s;
  if (isIP(bare) === 0) return null;
  try {
    return ipaddr.process(bare).toString();
  } catch {
    return null;
  }
}

export function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a host network). Null on anything else. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const addr = canonicalAddress(addrText.trim());
  if (addr === null) return null;
  const family = familyOf(addr);
  const max = family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = s.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(b)) return null;
    bits = Number(b);
    if (bits > max) return null;
  }
  const parsed = ipaddr.parse(addr);
  const net = networkAddress(parsed, bits);
  return { text: bits === max ? net : `${net}/${bits}`, family, bits, range: [ipaddr.parse(net), bits] };
}

function networkAddress(parsed: ipaddr.IPv4 | ipaddr.IPv6, bits: number): string {
  if (parsed.kind() === 'ipv4') return ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/${bits}`).toString();
  return ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${bits}`).toString();
}

/**
 * The network of `bits` containing `address` (canonical), e.g. prefixOf('2001:db8::5', 64) → '2001:db8::/64'.
 * A full-length prefix returns the bare address, so a single-host ban is keyed by its address.
 */
export function prefixOf(address: string, bits: number): string {
  const family = familyOf(address);
  const max = family === 4 ? 32 : 128;
  if (bits >= max) return address;
  return `${networkAddress(ipaddr.parse(address), bits)}/${bits}`;
}

/** True when `address` (canonical) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() !== cidr.range[0].kind()) return false;
  return parsed.match(cidr.range);
}

/** True when network `inner` (a Cidr or bare address) lies inside `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.bits < outer.bits) return false;
  return inner.range[0].match(outer.range);
}

export function isLoopback(address: string): boolean {
  const p = ipaddr.parse(address);
  return p.range() === 'loopback';
}

/** A set of networks with membership tests, for allowlists and own addresses. */
export class NetworkSet {
  private hosts = new Set<string>();
  private nets: Cidr[] = [];

  constructor(cidrs: Iterable<Cidr> = []) {
    for (const c of cidrs) this.add(c);
  }

  add(c: Cidr): void {
    const max = c.family === 4 ? 32 : 128;
    if (c.bits === max) this.hosts.add(c.text);
    else this.nets.push(c);
  }

  /** Takes over `other`'s entries (the set object stays shared with its users). */
  replaceWith(other: NetworkSet): void {
    this.hosts = other.hosts;
    this.nets = other.nets;
  }

  get size(): number {
    return this.hosts.size + this.nets.length;
  }

  /** The first entry containing `address`, or null. */
  match(address: string): string | null {
    if (this.hosts.has(address)) return address;
    for (const n of this.nets) if (cidrContains(n, address)) return n.text;
    return null;
  }

  /** The first entry that overlaps network `c` (inside it or containing it), or null: a ban on `c` would hit it. */
  overlaps(c: Cidr): string | null {
    for (const h of this.hosts) {
      if (familyOf(h) === c.family && cidrContains(c, h)) return h;
    }
    for (const n of this.nets) if (cidrCovers(n, c) || cidrCovers(c, n)) return n.text;
    return null;
  }

  entries(): string[] {
    return [...this.hosts, ...this.nets.map((n) => n.text)];
  }
}
