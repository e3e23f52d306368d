import { isIP } from 'node:net';

/**
 * Validates an address captured at a trusted position and returns its canonical text
 * (IPv4-mapped IPv6 → IPv4, zone kept off), or null (also for sshd's `UNKNOWN`).
 * node:net's isIP rejects `1.2.3` and octal forms that ipaddr.js would accept.
 */
export function normaliseAddress(text: string): string | null {
  let a = text;
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  const fam = isIP(a);
  if (fam === 4) return a;
  if (fam === 6) {
    const lower = a.toLowerCase();
    if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
    return lower;
  }
  return null;
}

export function parsePort(text: string): number | null {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}
