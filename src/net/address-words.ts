/**
 * Addresses as numbers: an IPv4 or IPv6 address parsed into four 32-bit words (IPv4 in word 0),
 * without building any object, and the words written back as the canonical text
 * (`canonicalAddress` of address.ts: RFC 5952 for IPv6, IPv4-mapped IPv6 as IPv4). For the
 * guard's hot path and its compact source table, which key sources by these words.
 *
 * Only the plain forms are parsed here (dotted quad without leading zeros; IPv6 with hex
 * groups and one `::`). Anything else (zone suffixes, odd forms,
 * garbage) goes through `canonicalAddress`, so the answer is always the same as its answer.
 * Pure: no I/O.
 */
import { canonicalAddress } from './address.ts';

/** 0 = not an address, 4 or 6. */
export type WordsFamily = 0 | 4 | 6;

/** Parses `s` into `out[0..3]` (IPv4: out[0], the rest 0); returns the family, 0 when `s` is not an address. */
export function addressWords(s: string, out: Uint32Array): WordsFamily {
  const f = s.indexOf(':') < 0 ? (parseV4(s, 0, s.length, out) ? 4 : 0) : parseV6(s, out) ? 6 : 0;
  if (f === 6 && out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    // IPv4-mapped: the same host as its IPv4 address.
    out[0] = out[3];
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  if (f !== 0) return f;
  // Not a plain form: ask the strict parser (zone suffix, or not an address at all).
  const c = canonicalAddress(s);
  if (c === null) return 0;
  return c.indexOf(':') < 0 ? (parseV4(c, 0, c.length, out) ? 4 : 0) : parseV6(c, out) ? 6 : 0;
}

/** Clears the bits after the first `bits` (the network of a prefix). */
export function maskWords(family: 4 | 6, w: Uint32Array, bits: number): void {
  const total = family === 4 ? 32 : 128;
  for (let i = 0; i < 4; i++) {
    const from = i * 32;
    if (from >= total) w[i] = 0;
    else if (bits <= from) w[i] = 0;
    else if (bits < from + 32) w[i] = (w[i] & (0xffffffff << (32 - (bits - from)))) >>> 0;
  }
}

/** The canonical text of the address in `w` (as `canonicalAddress` writes it). */
export function formatWords(family: 4 | 6, w: ArrayLike<number>): string {
  if (family === 4) {
    const a = w[0];
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && group(w, g) === 0;
    if (zero && runAt < 0) runAt = g;
    else if (!zero && runAt >= 0) {
      if (g - runAt > bestLen) {
        bestAt = runAt;
        bestLen = g - runAt;
      }
      runAt = -1;
    }
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestAt) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += group(w, g).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

/** The text of network `w`/`bits` as `prefixOf` writes it (a full-length prefix is the bare address). */
export function formatNetwork(family: 4 | 6, w: ArrayLike<number>, bits: number): string {
  const max = family === 4 ? 32 : 128;
  return bits >= max ? formatWords(family, w) : `${formatWords(family, w)}/${bits}`;
}

function group(w: ArrayLike<number>, g: number): number {
  const word = w[g >> 1];
  return g & 1 ? word & 0xffff : word >>> 16;
}

/** Dotted quad, decimal, no leading zeros, in s[from, to). Writes out[0] (and zeroes the rest). */
function parseV4(s: string, from: number, to: number, out: Uint32Array, word = 0): boolean {
  let value = 0;
  let parts = 0;
  let i = from;
  while (parts < 4) {
    const start = i;
    let n = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || n > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
    value = value * 256 + n;
    parts++;
    if (parts < 4) {
      if (i >= to || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  if (i !== to) return false;
  if (word === 0) out[1] = out[2] = out[3] = 0;
  out[word] = value >>> 0;
  return true;
}

/** Hex groups with at most one `::`; no zone, no dotted-quad tail (ipaddr.js reads `::a.b.c.d` its own way: left to it). */
function parseV6(s: string, out: Uint32Array): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false;
  const groups = scratch;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (i === len) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (i < len) {
    // One group.
    const start = i;
    let v = 0;
    while (i < len) {
      const c = s.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
      i++;
    }
    if (i - start === 0 || i - start > 4 || n === 8) return false;
    groups[n++] = v;
    if (i === len) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < len && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === len) break;
    } else if (i === len) return false; // a trailing single ':'
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const fill = 8 - n;
  for (let w = 0; w < 4; w++) {
    const a = at(groups, 2 * w, gap, fill);
    const b = at(groups, 2 * w + 1, gap, fill);
    out[w] = ((a << 16) | b) >>> 0;
  }
  return true;
}

/** Group g of the full address, from the parsed groups and the gap (`::` at index `gap`, `fill` zero groups). */
function at(groups: Uint32Array, g: number, gap: number, fill: number): number {
  if (gap < 0 || g < gap) return groups[g];
  if (g < gap + fill) return 0;
  return groups[g - fill];
}

const scratch = new Uint32Array(8);
