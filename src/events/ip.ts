import { isIP } from 'node:net';

/**
 * Validates an address captured at a trusted position and returns its canonical text
 * (IPv4-mapped IPv6 → IPv4, zone kept off), or null (also for sshd's `UNKNOWN`).
 * node:net's isIP rejects `1.2.3` and octal forms that ipaddr.js would accept.
 */
export function normaliseAddress(text: string): string | null {
  if (isDottedQuad(text)) return text;
  let a = text;
  const pct = a.indexOf('%');
  if (pct >= 0) {
    // A zone id belongs only to an IPv6 literal (`fe80::1%eth0`); `1.2.3.4%x` is a name, not an address.
    if (!a.includes(':') || !/^%[\w.-]+$/.test(a.slice(pct))) return null;
    a = a.slice(0, pct);
  }
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

/** Fast exact check for a canonical IPv4 literal (what isIP accepts: 0–255, no leading zeros). */
function isDottedQuad(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let val = 0;
  let digits = 0;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || val > 255 || (digits > 1 && first === 48)) return false;
      dots++;
      val = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      val = val * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return dots === 3 && digits > 0 && val <= 255 && !(digits > 1 && first === 48);
}
