/**
 * sshd's admission rules for one new connection, ported from openssh-portable:
 * - `shouldDropConnection`: sshd.c `should_drop_connection()` (MaxStartups random early drop),
 * - `PenaltyTable`: srclimit.c `srclimit_penalise()` / `srclimit_penalty_check_allow()` (9.8+),
 * - the PerSourceMaxStartups count of srclimit.c `srclimit_check_allow()` is kept by replay.ts.
 * The order sshd applies them (sshd.c `drop_connection()`): penalties first, then MaxStartups,
 * then PerSourceMaxStartups (only asked when MaxStartups let the connection through).
 * Pure: time is passed in, randomness is the caller's draw.
 */
import { familyOf, NetworkSet, parseCidr } from '../net/address.ts';
import type { Ending, MaxStartups, PenaltySettings } from './types.ts';
import { SettingsError } from './settings.ts';

/**
 * MaxStartups random early drop, exactly as sshd.c: with `startups` unauthenticated connections
 * open, refuse the new one? `r` is sshd's `arc4random_uniform(100)` draw (0..99), only looked at
 * between start and full. Integer arithmetic as in C (division truncates).
 */
export function shouldDropConnection(startups: number, ms: MaxStartups, r: number): boolean {
  if (startups < ms.start) return false;
  if (startups >= ms.full) return true;
  if (ms.rate === 100) return true;
  let p = 100 - ms.rate;
  p *= startups - ms.start;
  p = Math.trunc(p / (ms.full - ms.start));
  p += ms.rate;
  return r < p;
}

/** The drop probability (percent) sshd applies at `startups` open pre-auth connections. */
export function dropPercent(startups: number, ms: MaxStartups): number {
  if (startups < ms.start) return 0;
  if (startups >= ms.full || ms.rate === 100) return 100;
  return Math.trunc(((100 - ms.rate) * (startups - ms.start)) / (ms.full - ms.start)) + ms.rate;
}

interface Penalty {
  expiry: number;
  active: boolean;
}

/** The seconds `ending` is charged under `p` (0: nothing). Before 10.3 an invalid user is an authfail. */
export function penaltySeconds(ending: Ending, p: PenaltySettings): number {
  switch (ending) {
    case 'none':
      return 0;
    case 'noauth':
      return p.noauth;
    case 'authfail':
      return p.authfail;
    case 'invaliduser':
      return p.invaliduser ?? p.authfail;
    case 'grace':
      return p.grace;
    case 'crash':
      return p.crash;
    case 'refuseconnection':
      return p.refuseconnection ?? p.noauth;
  }
}

/** srclimit.c's penalty tables (one per address family), keyed by source block, times in ms. */
export class PenaltyTable {
  private readonly cfg: PenaltySettings;
  private readonly exempt: NetworkSet;
  private readonly tables: [Map<string, Penalty>, Map<string, Penalty>] = [new Map(), new Map()];
  /** A lower bound of the soonest expiry per table: the scan for expired entries runs only past it. */
  private readonly soonest = [Infinity, Infinity];

  constructor(cfg: PenaltySettings) {
    this.cfg = cfg;
    const nets = [];
    for (const e of cfg.exempt) {
      const c = parseCidr(e);
      if (c === null) throw new SettingsError('PerSourcePenaltyExemptList', `"${e}" is not an address or CIDR`);
      nets.push(c);
    }
    this.exempt = new NetworkSet(nets);
  }

  private isExempt(address: string): boolean {
    return this.exempt.size > 0 && this.exempt.match(address) !== null;
  }

  private expire(fam: 0 | 1, now: number): Map<string, Penalty> {
    const table = this.tables[fam];
    if (now <= this.soonest[fam]) return table;
    let soonest = Infinity;
    for (const [k, p] of table) {
      if (p.expiry < now) table.delete(k);
      else if (p.expiry < soonest) soonest = p.expiry;
    }
    this.soonest[fam] = soonest;
    return table;
  }

  /** `srclimit_penalty_check_allow`: null when allowed, else the refusal reason. */
  check(address: string, block: string, now: number): string | null {
    if (this.isExempt(address)) return null;
    const six = familyOf(address) === 6;
    const table = this.expire(six ? 1 : 0, now);
    const maxSources = six ? this.cfg.maxSources6 : this.cfg.maxSources4;
    const overflow = six ? this.cfg.overflow6 : this.cfg.overflow;
    if (table.size >= maxSources && overflow === 'deny-all') return 'too many penalised addresses';
    const p = table.get(block);
    if (p === undefined || p.expiry < now || !p.active) return null;
    return 'penalty';
  }

  /** `srclimit_penalise`: charges `block` for a connection from `address` that ended as `ending` at `now`. */
  penalise(address: string, block: string, ending: Ending, now: number): void {
    const secs = penaltySeconds(ending, this.cfg);
    if (secs <= 0 || this.isExempt(address)) return;
    const six = familyOf(address) === 6;
    const table = this.expire(six ? 1 : 0, now);
    const maxSources = six ? this.cfg.maxSources6 : this.cfg.maxSources4;
    const overflow = six ? this.cfg.overflow6 : this.cfg.overflow;
    if (table.size >= maxSources && overflow === 'deny-all') return;
    const ms = secs * 1000;
    const minMs = this.cfg.min * 1000;
    const existing = table.get(block);
    if (existing === undefined) {
      table.set(block, { expiry: now + ms, active: secs > this.cfg.min });
      const fam = six ? 1 : 0;
      if (now + ms < this.soonest[fam]) this.soonest[fam] = now + ms;
      if (table.size > maxSources) this.earlyExpire(table, maxSources);
      return;
    }
    existing.expiry += ms;
    if (existing.expiry - now > this.cfg.max * 1000) existing.expiry = now + this.cfg.max * 1000;
    if (existing.expiry - now > minMs) existing.active = true;
  }

  /** Overflow `permissive`: drops the soonest-to-expire entries until the table fits. */
  private earlyExpire(table: Map<string, Penalty>, maxSources: number): void {
    const byExpiry = [...table].sort((a, b) => a[1].expiry - b[1].expiry || (a[0] < b[0] ? -1 : 1));
    for (let i = 0; table.size > maxSources; i++) table.delete(byExpiry[i][0]);
  }
}
