/**
 * What the MaxStartups / PerSourcePenalties simulator takes and gives (see index.ts for the API).
 * Times are milliseconds on any one clock (the log's, usually epoch ms); durations in ms unless named `…Seconds`.
 */

/**
 * How a pre-auth connection ends, as sshd's listener sees it when the child exits (sshd.c
 * `child_reap`): what PerSourcePenalties (9.8+) would charge its source. `none`: it
 * authenticated (the slot is released at authentication and nothing is charged) or exited cleanly.
 */
export const ENDINGS = ['none', 'noauth', 'authfail', 'invaliduser', 'grace', 'crash', 'refuseconnection'] as const;
export type Ending = (typeof ENDINGS)[number];

/** One connection offered to sshd's listener. */
export interface Arrival {
  /** When the TCP connection reached the listener (ms). */
  at: number;
  /**
   * Uncertainty of `at`: the real arrival lies in [at, at + spreadMs). 1000 for logs with
   * whole-second times; each simulated run places the arrival at a random point inside (0 = exact).
   */
  spreadMs: number;
  /** How long it holds a pre-auth slot once admitted: until it authenticates or its process exits (ms). */
  holdMs: number;
  /** Client address (canonical), or null when the log never named it (then it has no source block). */
  source: string | null;
  /** The source logged in at least once in the window: one of "your users". */
  user: boolean;
  /** How it ends when admitted (what PerSourcePenalties charges). */
  ending: Ending;
  /** The log shows it refused (MaxStartups, PerSourceMaxStartups or a penalty): `holdMs` and `ending` are estimates. */
  estimated: boolean;
}

/** `MaxStartups start:rate:full`. */
export interface MaxStartups {
  start: number;
  /** Percent, 1..100. */
  rate: number;
  full: number;
}

/** PerSourcePenalties (9.8+), durations in seconds as sshd_config writes them. */
export interface PenaltySettings {
  crash: number;
  authfail: number;
  /** 10.3+; null where the version has no separate charge (an invalid user then counts as authfail). */
  invaliduser: number | null;
  noauth: number;
  grace: number;
  /** 9.9+; null before. */
  refuseconnection: number | null;
  /** A source is refused only once its outstanding penalty exceeds `min`. */
  min: number;
  /** Outstanding penalty never exceeds `max`. */
  max: number;
  maxSources4: number;
  maxSources6: number;
  overflow: 'permissive' | 'deny-all';
  overflow6: 'permissive' | 'deny-all';
  /** PerSourcePenaltyExemptList: addresses / CIDRs never penalised. */
  exempt: string[];
}

/** The sshd admission settings the listener applies to each new connection. */
export interface AdmissionSettings {
  maxStartups: MaxStartups;
  /** PerSourceMaxStartups; null = none (no per-source cap; also every version before 8.5). */
  perSource: number | null;
  /** PerSourceNetBlockSize (prefix lengths grouping sources for PerSourceMaxStartups and penalties). */
  netBlock: { v4: number; v6: number };
  /** PerSourcePenalties; null when off (`PerSourcePenalties no`) or the version predates 9.8. */
  penalties: PenaltySettings | null;
}

/** Why the simulated listener refused a connection. */
export type DropReason = 'maxstartups' | 'per_source' | 'penalty';

/** One simulated run (one seed). */
export interface RunResult {
  arrivals: number;
  dropped: number;
  /** Of `dropped`, connections from your users. */
  droppedUsers: number;
  byReason: Record<DropReason, number>;
  /** Your users' sources that had at least one connection dropped. */
  usersAffected: number;
  /** Most pre-auth connections open at once (sshd's `startups` after an admission). */
  peak: number;
}

/** mean, min and max of one figure over the runs. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** One setting simulated over several seeds. */
export interface SettingResult {
  settings: AdmissionSettings;
  /** Runs (seeds) simulated. */
  runs: number;
  arrivals: number;
  dropped: Spread;
  droppedUsers: Spread;
  usersAffected: Spread;
  peak: Spread;
  byReason: Record<DropReason, Spread>;
}
