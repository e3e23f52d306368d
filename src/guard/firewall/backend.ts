/**
 * What the guard needs from a firewall. The store is the truth: `reconcile` makes the firewall
 * hold exactly the active bans (at start, after reload, and after any failure), `apply` makes
 * incremental changes on the hot path. Every backend runs programs with argument arrays or feeds
 * them commands on stdin: never a shell, and targets are canonical addresses/CIDRs produced by
 * src/net (never raw log text).
 */
import { MAX_BAN_MS } from '../duration.ts';

export interface FirewallEntry {
  /** Canonical address or CIDR (`192.0.2.7`, `2001:db8::/64`). */
  readonly target: string;
  readonly family: 4 | 6;
  /** When the ban ends (ms epoch); the backend gives the kernel this timeout where it can. */
  readonly until: number;
}

export interface FirewallChanges {
  readonly add: readonly FirewallEntry[];
  readonly remove: readonly FirewallEntry[];
}

export interface FirewallOptions {
  /** Table / set / chain name (nftables: table `inet <name>`; ipset: sets `<name>4`/`<name>6`, chain `<NAME>`). */
  readonly name: string;
  /** `ssh`: drop only `ports`; `all`: drop every packet from a banned source. */
  readonly scope: 'ssh' | 'all';
  readonly ports: readonly number[];
  /**
   * Command prefix that runs a firewall program, e.g. `[]` (run it directly) or, in tests,
   * `['ip', 'netns', 'exec', ns]` so the program acts inside a test namespace only.
   */
  readonly exec?: readonly string[];
  /** The prefix lengths the guard bans whole networks at (aggregate.ipv4_prefix / ipv6_prefix): nftables keeps them in hash sets. */
  readonly ipv4Prefix?: number;
  readonly ipv6Prefix?: number;
}

export interface FirewallBackend {
  readonly name: string;
  /**
   * The longest timeout the kernel keeps on an entry, in seconds, when it is shorter than the
   * longest ban (ipset: 2,147,483 s, about 24.8 days). The backend caps entries at it and the
   * guard re-adds longer bans before their entry runs out (daemon.ts renewLongBans).
   */
  readonly maxTimeoutSeconds?: number;
  reconcile(entries: readonly FirewallEntry[], now: number): Promise<void>;
  apply(changes: FirewallChanges, now: number): Promise<void>;
  /** Targets currently in the firewall. */
  list(): Promise<string[]>;
  /** Removes exactly what this backend created (table, sets, chains, jump rules). */
  uninstall(): Promise<void>;
  close(): void;
}

export class FirewallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirewallError';
  }
}

/**
 * Seconds the kernel should keep an entry: at least 1 s, so a nearly-expired ban is not a
 * permanent one, and at most the 365-day ban limit (a date stored by an older version, or
 * anything not finite, must never reach nft as "value too large").
 */
export function timeoutSeconds(until: number, now: number, max = MAX_BAN_MS / 1000): number {
  const cap = Math.min(max, MAX_BAN_MS / 1000);
  const s = Math.ceil((until - now) / 1000);
  return Number.isFinite(s) ? Math.min(cap, Math.max(1, s)) : cap;
}
