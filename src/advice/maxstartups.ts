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
  /** The effective value, null when not known (then the advice gives the rule, not a line). */
  current: MaxStartups | null;
  /** Connections from addresses that also logged in, dropped by MaxStartups (from a log; 0 when no log). */
  ownUsersDropped: number;
}

/**
 * `maxstartups.raise`, or null when MaxStartups should stay as it is. One step at a time: below the
 * floor to the floor; at or above it, only with evidence (own users dropped), to the busy value.
 * Without the current value (probe, explain-client, a log without its sshd_config) the rule itself
 * is the advice: no line to write, and `sshwarden audit` on the server gives the value.
 */
export function maxStartupsAdvice(f: MaxStartupsFacts): Advice | null {
  const own = f.ownUsersDropped > 0 ? ` turned away ${f.ownUsersDropped} connection${f.ownUsersDropped === 1 ? '' : 's'} of your own users` : '';
  if (f.current === null) {
    if (!own) return null;
    const d = formatMaxStartups(DEFAULT_MAXSTARTUPS);
    return {
      id: 'maxstartups.raise',
      summary: `MaxStartups${own}: on the server raise it one step — below ${d} to ${d}, from ${d} to ${formatMaxStartups(maxStartupsBusy(DEFAULT_MAXSTARTUPS))} (three times the start, twice the full) — and cap each source with PerSourceMaxStartups; \`sshwarden audit\` there gives the line for its configuration`,
      changes: [],
      commands: ['sshwarden audit'],
      verify: [],
    };
  }
  const cur = f.current;
  const known = `MaxStartups ${formatMaxStartups(cur)}`;
  if (belowFloor(cur)) {
    const to = maxStartupsFloor(cur);
    return sshdAdvice('maxstartups.raise', `${known}${own || ' lets a few idle connections lock users out'}: raise it to at least the default, ${formatMaxStartups(to)}`, [`MaxStartups ${formatMaxStartups(to)}`], ['MaxStartups']);
  }
  if (own) {
    const to = maxStartupsBusy(cur);
    return sshdAdvice('maxstartups.raise', `${known}${own}: raise it to ${formatMaxStartups(to)} and cap each source (PerSourceMaxStartups) so one flooder cannot take the slots`, [`MaxStartups ${formatMaxStartups(to)}`], ['MaxStartups']);
  }
  return null;
}
