/**
 * Whether the guard is following anything. A follower that keeps dying (journalctl that cannot
 * start, a sandbox that hides what it needs) must not leave a daemon that looks healthy and
 * protects nothing: each source is either `following` or `failing` with its consecutive
 * failures and last error, and after `maxFailures` in a row the daemon gives up loudly (exit
 * non-zero, so systemd restarts it and its start limit marks the unit failed). A follower that
 * delivered records, or ran for `stableMs` before it ended, starts a new count. Pure: the caller
 * passes the times.
 */

export interface SourceState {
  source: string;
  state: 'following' | 'failing';
  /** Failures in a row (0 while following). */
  failures: number;
  /** The last failure's reason, kept after a recovery for `status`. */
  lastError: string | null;
}

export interface SourceHealthOptions {
  /** Consecutive failures after which the guard gives up (default 5). */
  maxFailures?: number;
  /** A follower that ran at least this long before it ended starts a new count (default 60 s). */
  stableMs?: number;
}

export class SourceHealth {
  readonly maxFailures: number;
  private readonly stableMs: number;
  private readonly sources = new Map<string, SourceState & { since: number }>();

  constructor(opts: SourceHealthOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.stableMs = opts.stableMs ?? 60_000;
  }

  /** A follower (re)started at `now`. */
  started(source: string, now: number): void {
    const s = this.sources.get(source);
    if (s) s.since = now;
    else this.sources.set(source, { source, state: 'following', failures: 0, lastError: null, since: now });
  }

  /** The follower delivered records: it works. */
  delivered(source: string): void {
    const s = this.sources.get(source);
    if (s && s.state === 'failing') {
      s.state = 'following';
      s.failures = 0;
    } else if (s) s.failures = 0;
  }

  /** The follower ended at `now`; returns the failures in a row (give up when it reaches `maxFailures`). */
  failed(source: string, reason: string, now: number): number {
    let s = this.sources.get(source);
    if (!s) {
      s = { source, state: 'following', failures: 0, lastError: null, since: now };
      this.sources.set(source, s);
    }
    if (now - s.since >= this.stableMs) s.failures = 0;
    s.failures++;
    s.state = 'failing';
    s.lastError = reason;
    return s.failures;
  }

  /** Forgets a source (stopped, or replaced by a reload). */
  remove(source: string): void {
    this.sources.delete(source);
  }

  /** Names of the sources being followed now. */
  following(): string[] {
    return [...this.sources.values()].filter((s) => s.state === 'following').map((s) => s.source);
  }

  states(): SourceState[] {
    return [...this.sources.values()].map(({ source, state, failures, lastError }) => ({ source, state, failures, lastError }));
  }
}
