/**
 * Whether sshd lets a user in from an address, by DenyUsers/AllowUsers of the effective config
 * (auth.c allowed_user: DenyUsers first, then AllowUsers; `user@host` patterns compare the host
 * part with the address). Groups are not modelled here. Pure.
 */
import type { Effective } from './effective.ts';
import { addrMatchList, matchPatternList } from './match.ts';

export interface AccessRefusal {
  keyword: 'DenyUsers' | 'AllowUsers';
  file: string | null;
  line: number | null;
  text: string;
}

function entryMatches(entry: string, user: string, addr: string): boolean {
  const at = entry.indexOf('@');
  const u = at >= 0 ? entry.slice(0, at) : entry;
  if (matchPatternList(user, u) !== 1) return false;
  if (at < 0) return true;
  const host = entry.slice(at + 1);
  return addrMatchList(addr, host) === 1 || matchPatternList(addr, host) === 1;
}

export function accessRefusal(e: Effective, user: string, addr: string): AccessRefusal | null {
  const deny = e.get('denyusers');
  if (deny) for (const d of deny.values) if (entryMatches(d, user, addr)) return { keyword: 'DenyUsers', file: deny.source?.file ?? null, line: deny.source?.line ?? null, text: `DenyUsers ${deny.values.join(' ')}` };
  const allow = e.get('allowusers');
  if (allow && allow.values.length && !allow.values.some((a) => entryMatches(a, user, addr))) return { keyword: 'AllowUsers', file: allow.source?.file ?? null, line: allow.source?.line ?? null, text: `AllowUsers ${allow.values.join(' ')}` };
  return null;
}
