/**
 * MaxStartups (start:rate:full): how many unauthenticated connections sshd keeps before it drops
 * new ones. One rule for every command: below the default 10:30:100 is too low (raise to the
 * floor); at or above it, raise only when the log shows your own users being dropped (to the
 * "busy" value, three times the start and twice the full); otherwise leave it.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';

export type MaxStartups = readonly [begin: number, rate: number, full: number];

export const DEFAULT_MAXSTARTUPS: MaxStartups = [10, 30, 100];

export function formatMaxStartups(m: MaxStartups): string {
  return m[0] === m[2] && m[1] === 100 ? String(m[0]) : `${m[0]}:${m[1]}:${m[2]}`;
}

/** The least that is safe: the default's start and full, keeping a larger value where there is one. */
export function maxStartupsFloor(cur: MaxStartups): MaxStartups {
  const begin = Math.max(cur[0], DEFAULT_MAXSTARTUPS[0]);
  const full = Math.max(cur[2], DEFAULT_MAXSTARTUPS[2], begin);
  const rate = cur[0] >= DEFAULT_MAXSTARTUPS[0] && cur[1] < 100 ? cur[1] : DEFAULT_MAXSTARTUPS[1];
  return [begin, rate, full];
}

/** For a server that turns its own users away: three times the start, twice the full. */
export function maxStartupsBusy(cur: MaxStartups): MaxStartups {
  const f = maxStartupsFloor(cur);
  return [f[0] * 3, f[1], f[2] * 2];
}

export function belowFloor(cur: MaxStartups): boolean {
  const f = maxStartupsFloor(cur);
  return f[0] !== cur[0] || f[1] !== cur[1] || f[2] !== cur[2];
}

export interface MaxStartupsFacts {
  /** The effective value, null when not known (the default 10:30:100 is assumed). */
  current: MaxStartups | null;
  /** Connections from addresses that also logged in, dropped by MaxStartups (from a log; 0 when no log). */
  ownUsersDropped: number;
}

/** `maxstartups.raise`, or null when MaxStartups should stay as it is. */
export function maxStartupsAdvice(f: MaxStartupsFacts): Advice | null {
  const cur = f.current ?? DEFAULT_MAXSTARTUPS;
  const known = f.current !== null ? `MaxStartups ${formatMaxStartups(cur)}` : 'MaxStartups (10:30:100 unless set)';
  if (f.ownUsersDropped > 0) {
    const to = maxStartupsBusy(cur);
    return sshdAdvice(
      'maxstartups.raise',
      `${known} turned away ${f.ownUsersDropped} connection${f.ownUsersDropped === 1 ? '' : 's'} of addresses that also log in: raise it to ${formatMaxStartups(to)} and cap each source (PerSourceMaxStartups) so one flooder cannot take the slots`,
      [`MaxStartups ${formatMaxStartups(to)}`],
      ['MaxStartups'],
    );
  }
  if (belowFloor(cur)) {
    const to = maxStartupsFloor(cur);
    return sshdAdvice('maxstartups.raise', `${known} lets a few idle connections lock users out: raise it to at least the default, ${formatMaxStartups(to)}`, [`MaxStartups ${formatMaxStartups(to)}`], ['MaxStartups']);
  }
  return null;
}
