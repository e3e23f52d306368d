/**
 * Limits on how wide a manual ban or allow may be without `--force`. A ban wider than an IPv4
 * /16 or an IPv6 /32 shuts out a whole provider or country-sized block (`ban 0.0.0.0/2` is a
 * quarter of the Internet); an allow wider than an IPv4 /8 or an IPv6 /16 switches the guard
 * off for most sources and lifts the bans it covers (`allow 0.0.0.0/0` lifts every IPv4 ban).
 * Pure: no I/O.
 */
import type { Cidr } from '../net/address.ts';

export const BAN_MIN_BITS = { 4: 16, 6: 32 } as const;
export const ALLOW_MIN_BITS = { 4: 8, 6: 16 } as const;

/** Why banning `c` needs --force, or null. */
export function broadBanProblem(c: Cidr): string | null {
  const min = BAN_MIN_BITS[c.family];
  if (c.bits >= min) return null;
  return `${c.text} is wider than /${min} (IPv${c.family}): it would drop ${share(c)} of all IPv${c.family} sources; add --force if that is what you want`;
}

/** Why allowing `c` needs --force, or null. */
export function broadAllowProblem(c: Cidr): string | null {
  const min = ALLOW_MIN_BITS[c.family];
  if (c.bits >= min) return null;
  return `${c.text} is wider than /${min} (IPv${c.family}): the guard would never ban ${share(c)} of all IPv${c.family} sources and would lift every ban inside it; add --force if that is what you want`;
}

function share(c: Cidr): string {
  const frac = Math.pow(2, -c.bits);
  return frac >= 1 ? 'every one' : frac >= 0.01 ? `${Math.round(frac * 100)}%` : `1/${Math.round(1 / frac)}`;
}
