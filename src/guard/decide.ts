/**
 * The guard's decision core: pure (no I/O, no clock: `now` is passed in). Turns engine updates
 * into ban / refused / authenticated decisions under the policy:
 *
 * - Each event adds its weight (per outcome, per failed attempt) to its source's score. A source
 *   is an address, or its IPv6 /64 (attackers rotate inside their /64). The window opens at a
 *   source's first event and the score resets when the window has passed (like sshguard's
 *   DETECTION_TIME); reaching the threshold within it bans the source.
 * - Never banned: loopback, the server's own addresses, the allowlist, and sources that logged
 *   in within `authenticated_for`. A ban that would hit one of them is refused (logged); a prefix
 *   ban that would cover one of them is narrowed to the single offending address.
 * - Ban time escalates for repeat offenders: duration × escalation^(prior bans), capped.
 * - Optionally, once `ipv4_subnet_after` addresses of one IPv4 /24 are banned, the /24 is banned.
 *
 * Memory: one row of typed-array columns per source with a live window, keyed by the source's
 * address words (source-table.ts; pruned on `prune`), so a million scanning sources take about
 * 50 MB (measured in bench/guard-load.ts). Addresses are parsed into words without objects
 * (src/net/address-words.ts); the only strings made per event are the canonical address and,
 * for IPv6, its network's text (for the ban lookups).
 */
import { cidrContains, familyOf, isLoopback, parseCidr, prefixOf, type NetworkSet } from '../net/address.ts';
import { addressWords, formatNetwork, formatWords, maskWords } from '../net/address-words.ts';
import type { GuardConfig } from './config.ts';
import type { Evidence, GuardUpdate } from './updates.ts';
import { SourceTable, type SourceWindow } from './source-table.ts';

export interface BanDecision {
  readonly type: 'ban';
  readonly target: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly until: number;
  readonly offence: number;
  readonly reason: string;
  readonly evidence: readonly Evidence[];
  /** Narrower bans this one covers (removed when it is applied). */
  readonly replaces: readonly string[];
}
export interface RefusedDecision {
  readonly type: 'refused';
  readonly target: string;
  readonly address: string;
  readonly reason: string;
  readonly evidence: readonly Evidence[];
}
export interface AuthenticatedDecision {
  readonly type: 'authenticated';
  readonly address: string;
  readonly user: string;
  readonly ts: number;
}
export type Decision = BanDecision | RefusedDecision | AuthenticatedDecision;

/** What the decider asks of the outside world (the store, the daemon). */
export interface DeciderContext {
  /** Earlier bans of `target` still remembered (for escalation). */
  priorOffences(target: string): number;
  /** Active bans: target → until. */
  readonly activeBans: ReadonlyMap<string, number>;
  /** Allowlist: config CIDRs, resolved host names, runtime `sshwarden allow` entries. */
  readonly allow: NetworkSet;
  /** The server's own addresses. */
  readonly own: NetworkSet;
  /** Told of every weight added to a source's score (the fleet link sums them across servers). */
  onScore?(source: string, weight: number): void;
}

const MAX_EVIDENCE = 6;

export class Decider {
  private cfg: GuardConfig;
  private readonly ctx: DeciderContext;
  private sources: SourceTable;
  /** Scratch: the current event's address as words (no object per event). */
  private readonly words = new Uint32Array(4);
  /** Sources that logged in: address → last login (ms). */
  private readonly authenticated = new Map<string, number>();
  /** Connections whose failed attempts were counted: `addr port` → time, so the close does not count again. */
  private readonly countedConnections = new Map<string, number>();

  constructor(cfg: GuardConfig, ctx: DeciderContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.sources = new SourceTable(keyWordsFor(cfg), MAX_EVIDENCE);
  }

  /** A new config; the scoring windows stay, unless the IPv6 prefix no longer fits their keys (then they start over). */
  setConfig(cfg: GuardConfig): void {
    this.cfg = cfg;
    if (keyWordsFor(cfg) !== this.sources.keyWords) this.sources = new SourceTable(keyWordsFor(cfg), MAX_EVIDENCE);
  }

  /** Bytes held by the source table's columns (for the metrics' memory breakdown). */
  get sourceTableBytes(): number {
    return this.sources.bytes;
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  /** Restores learned logins (from the store at start). */
  learnAuthenticated(address: string, ts: number): void {
    const prev = this.authenticated.get(address);
    if (prev === undefined || ts > prev) this.authenticated.set(address, ts);
  }

  authenticatedCount(): number {
    return this.authenticated.size;
  }

  /** Why `address` must never be banned, or null. */
  protectedReason(address: string, now: number): string | null {
    if (isLoopback(address)) return 'loopback';
    const own = this.ctx.own.match(address);
    if (own) return `own address ${own}`;
    const allow = this.ctx.allow.match(address);
    if (allow) return `allowlist ${allow}`;
    const auth = this.authenticated.get(address);
    const window = this.cfg.never_ban.authenticated_for;
    if (auth !== undefined && window > 0 && now - auth < window) return `logged in successfully ${Math.round((now - auth) / 60000)} min ago`;
    return null;
  }

  /** Why a ban on network `target` would hit a protected address, or null. */
  private protectedOverlap(target: string): string | null {
    const c = parseCidr(target);
    if (!c) return 'not a network';
    const own = this.ctx.own.overlaps(c);
    if (own) return `covers own address ${own}`;
    const allow = this.ctx.allow.overlaps(c);
    if (allow) return `covers allowlist ${allow}`;
    for (const a of this.authenticated.keys()) {
      if (familyOf(a) === c.family && cidrContains(c, a)) return `covers ${a}, which logged in`;
    }
    return null;
  }

  /** One engine update in, decisions out. `now`: wall clock (ms); `useLogTime`: score by the log's timestamps (replay). */
  onUpdate(u: GuardUpdate, now: number, useLogTime = false): Decision[] {
    const w = this.cfg.policy.weights;
    switch (u.kind) {
      case 'auth-success': {
        const family = addressWords(u.address, this.words);
        if (family === 0) return [];
        const address = formatWords(family, this.words);
        const ts = useLogTime && u.ts !== null ? u.ts : now;
        this.learnAuthenticated(address, ts);
        this.sourceWords(family);
        this.sources.delete(family, this.words);
        return [{ type: 'authenticated', address, user: u.user, ts }];
      }
      case 'auth-failure': {
        const family = addressWords(u.address, this.words);
        if (family === 0) return [];
        const address = formatWords(family, this.words);
        this.countedConnections.set(`${address} ${u.port}`, now);
        // "Invalid user U from A" (no method) is the probe of a user name; each "Failed <method> for
        // [invalid user] U" is one attempt. Both count, as in fail2ban.
        const probe = u.invalidUser && u.method === null;
        const weight = probe ? w.invalid_user : w.auth_failure;
        const label = probe ? 'invalid user' : this.failureLabel(u.method ?? 'auth', u.invalidUser);
        return this.score(family, address, weight, label, u.evidence, useLogTime && u.ts !== null ? u.ts : now, now);
      }
      case 'connection-closed': {
        const c = u.connection;
        if (!c.src) return [];
        const family = addressWords(c.src, this.words);
        if (family === 0) return [];
        const address = formatWords(family, this.words);
        const key = `${address} ${c.srcPort ?? ''}`;
        if (this.countedConnections.delete(key) && c.outcome === 'auth_failed') return [];
        const weight = (w as Record<string, number>)[c.outcome] ?? 0;
        if (weight <= 0) return [];
        const label = c.outcome; // an interned constant: no string per event
        const ev = c.evidence[c.evidence.length - 1] ?? { file: '?', line: 0 };
        return this.score(family, address, weight, label, ev, now, now);
      }
      default:
        return [];
    }
  }

  /** Interned labels (`failed password`, `failed password (invalid user)`): one string, not one per event. */
  private readonly labels = new Map<string, string>();
  private failureLabel(method: string, invalidUser: boolean): string {
    const k = `${method}|${invalidUser}`;
    let l = this.labels.get(k);
    if (l === undefined) {
      l = `failed ${method}${invalidUser ? ' (invalid user)' : ''}`;
      if (this.labels.size < 64) this.labels.set(k, l);
    }
    return l;
  }

  /** Turns `this.words` (the event's address) into its source's key: the address, or its IPv6 network. */
  private sourceWords(family: 4 | 6): void {
    if (family === 6) maskWords(6, this.words, this.cfg.aggregate.ipv6_prefix);
  }

  /** `this.words` holds the event's address (of `family`, canonical text `address`). */
  private score(family: 4 | 6, address: string, weight: number, label: string, evidence: Evidence, eventTs: number, now: number): Decision[] {
    if (weight <= 0) return [];
    this.sourceWords(family);
    const key = family === 6 ? formatNetwork(6, this.words, this.cfg.aggregate.ipv6_prefix) : address;
    if (this.isBanned(key, address)) return [];
    const row = this.sources.add(family, this.words, eventTs, this.cfg.policy.window, weight, label, evidence);
    const score = this.sources.scoreAt(row);
    let s: SourceWindow | null = null;
    if (score >= this.cfg.policy.threshold) {
      s = this.sources.describe(row);
      this.sources.delete(family, this.words);
    }
    // After the table is done with `this.words` (the hook may feed another event in).
    this.ctx.onScore?.(key, weight);
    if (s === null) return [];
    // The deciding line with its text (earlier events keep file and line only).
    if (s.evidence.length > 0) s.evidence[s.evidence.length - 1] = { label, e: evidence };
    return this.decideBan(key, address, s, now);
  }

  private isBanned(key: string, address: string): boolean {
    const bans = this.ctx.activeBans;
    if (bans.has(key) || bans.has(address)) return true;
    if (familyOf(address) === 4 && this.cfg.aggregate.ipv4_subnet_after > 0) {
      if (bans.has(prefixOf(address, this.cfg.aggregate.ipv4_prefix))) return true;
    }
    return false;
  }

  private decideBan(key: string, address: string, s: SourceWindow, now: number): Decision[] {
    const evidence = s.evidence.map((x) => x.e);
    const summary = summarise(s, this.cfg);
    const prot = this.protectedReason(address, now);
    if (prot) return [{ type: 'refused', target: key, address, reason: `${summary}; not banned: ${prot}`, evidence }];
    let target = key;
    let narrowed = '';
    if (target !== address) {
      const overlap = this.protectedOverlap(target);
      if (overlap) {
        narrowed = ` (narrowed from ${target}: it ${overlap})`;
        target = address;
      }
    }
    const out: Decision[] = [this.banDecision(target, address, `${summary}${narrowed}`, evidence, now, [])];
    // IPv4 subnet aggregation after N banned addresses of one /24.
    const agg = this.cfg.aggregate;
    if (familyOf(address) === 4 && agg.ipv4_subnet_after > 0 && target === address) {
      const net = prefixOf(address, agg.ipv4_prefix);
      const c = parseCidr(net)!;
      const members = [address];
      for (const t of this.ctx.activeBans.keys()) if (t !== address && !t.includes('/') && familyOf(t) === 4 && cidrContains(c, t)) members.push(t);
      if (members.length >= agg.ipv4_subnet_after && !this.protectedOverlap(net)) {
        out.push(this.banDecision(net, address, `${members.length} addresses of ${net} banned (ipv4_subnet_after ${agg.ipv4_subnet_after})`, evidence, now, members));
      }
    }
    return out;
  }

  private banDecision(target: string, address: string, reason: string, evidence: readonly Evidence[], now: number, replaces: string[]): BanDecision {
    const b = this.cfg.ban;
    const prior = this.ctx.priorOffences(target);
    const duration = Math.min(b.max_duration, b.duration * Math.pow(b.escalation, prior));
    return {
      type: 'ban',
      target,
      family: familyOf(address),
      address,
      until: now + duration,
      offence: prior + 1,
      reason: prior > 0 ? `${reason}; repeat offence #${prior + 1}` : reason,
      evidence,
      replaces,
    };
  }

  /** Drops windows that have passed and stale bookkeeping; bounded work per call. */
  prune(now: number): void {
    const window = this.cfg.policy.window;
    this.sources.prune(now - window);
    for (const [k, t] of this.countedConnections) if (now - t > 3_600_000) this.countedConnections.delete(k);
    const authWindow = this.cfg.never_ban.authenticated_for;
    for (const [a, t] of this.authenticated) if (now - t > authWindow) this.authenticated.delete(a);
  }
}

/** Words per source key: IPv6 networks up to /64 fit in two 32-bit words (IPv4 in one). */
function keyWordsFor(cfg: GuardConfig): 2 | 4 {
  return cfg.aggregate.ipv6_prefix <= 64 ? 2 : 4;
}

function summarise(s: SourceWindow, cfg: GuardConfig): string {
  const counts = new Map<string, number>();
  for (const x of s.evidence) {
    const k = x.label.replace(/ \(.*\)$/, '');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const parts = [...counts].map(([k, n]) => (n > 1 ? `${n}× ${k}` : k));
  return `score ${s.score} ≥ ${cfg.policy.threshold} from ${s.events} event${s.events === 1 ? '' : 's'} within ${Math.round(cfg.policy.window / 60000)}m (last: ${parts.join(', ')})`;
}
