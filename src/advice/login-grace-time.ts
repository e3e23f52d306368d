/**
 * LoginGraceTime: how long an unauthenticated connection may hold a MaxStartups slot. One rule:
 * 30 s is enough for a person (and for an agent or passphrase prompt); more (or 0, no limit)
 * lets idle connections keep slots. Since the CVE-2024-6387 fix its expiry is silent in the log.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';

export const LOGIN_GRACE_TARGET = 30;
export const DEFAULT_LOGIN_GRACE = 120;

/** `login-grace-time.lower`, or null when it is at most 30 s (and not 0). */
export function loginGraceTimeAdvice(f: { current: number | null; slotHolders?: number }): Advice | null {
  const cur = f.current ?? DEFAULT_LOGIN_GRACE;
  if (cur !== 0 && cur <= LOGIN_GRACE_TARGET) return null;
  const was = cur === 0 ? '0 (no limit)' : `${cur}s`;
  const why = f.slotHolders ? `: ${f.slotHolders} source${f.slotHolders === 1 ? '' : 's'} held unauthenticated slots until it expired` : ': an idle connection holds a MaxStartups slot that long';
  return sshdAdvice('login-grace-time.lower', `LoginGraceTime ${was}${f.current === null ? ' (default)' : ''} is long${why}; ${LOGIN_GRACE_TARGET}s is enough for a person`, [`LoginGraceTime ${LOGIN_GRACE_TARGET}`], ['LoginGraceTime']);
}
