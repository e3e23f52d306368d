/**
 * The guard's side of the fleet: turns the guard's own decisions into fleet publications and
 * other servers' fleet decisions into guard actions, under the same protections as local ones
 * (never loopback, own addresses, the allowlist, or a source that logged in). The rules, the same
 * on every server because every server reads the same decisions in the same seq order:
 *
 * - ban (another server's, or the fleet rule's): applied here for its remaining time, origin
 *   `fleet`, unless `share.bans` is off or the target is protected here (refused and logged).
 * - unban: lifts this server's fleet-origin ban of that target; never a ban decided here.
 * - allow / unallow: an allow anywhere protects everywhere (it wins over any ban, past or future).
 * - login: the source is protected here too, as if it had logged in here (`share.logins`).
 */
import { hostname } from 'node:os';
import type { GuardConfig } from './config.ts';
import type { FleetDecision, FleetKind, FleetLink, PublishItem } from '../fleet/link.ts';

type FleetConfig = NonNullable<GuardConfig['fleet']>;

/** What the fleet side needs from the daemon. */
export interface FleetHost {
  now(): number;
  log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void;
  cursor(): number;
  saveCursor(seq: number): void;
  /** Active bans decided here (origin auto/manual): target, since, until, reason, origin. */
  localBans(): { target: string; since: number; until: number; reason: string; origin: string }[];
  /** Logins learned here: address, last login (ms). */
  logins(): { address: string; last: number }[];
  /** Runtime allowlist entries added here. */
  allows(): { cidr: string; added: number }[];
  applyBan(target: string, untilMs: number, reason: string, seq: number): void;
  liftFleetBan(target: string, reason: string): void;
  setFleetAllow(target: string, allowed: boolean, from: string): void;
  learnLogin(address: string, from: string): void;
  countApplied(kind: FleetKind): void;
}

/** This server's fleet name: the config's, else the host name made valid. */
export function fleetServerName(cfg: FleetConfig): string {
  if (cfg.server) return cfg.server;
  const h = hostname().toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63);
  return h || 'server';
}

export class FleetSync {
  private readonly cfg: GuardConfig;
  private readonly host: FleetHost;
  private link: FleetLink | null = null;
  private readonly loginPublished = new Map<string, number>();

  constructor(cfg: GuardConfig, host: FleetHost) {
    this.cfg = cfg;
    this.host = host;
  }

  /** Starts the link (connects in the background; failures are logged and retried, never fatal). */
  async start(version: string): Promise<void> {
    const f = this.cfg.fleet!;
    const { FleetLink } = await import('../fleet/link.ts');
    this.link = new FleetLink(
      {
        database: { url: f.database, passwordFile: f.password_file },
        server: fleetServerName(f),
        threshold: f.threshold,
        windowMs: f.window,
        banMs: f.ban_duration,
        version,
      },
      {
        apply: (d) => this.apply(d),
        cursor: () => this.host.cursor(),
        saveCursor: (seq) => this.host.saveCursor(seq),
        backlog: () => this.backlog(),
        log: (level, msg, fields) => this.host.log(level, msg, fields),
      },
    );
    this.link.start();
  }

  get up(): boolean {
    return this.link?.up ?? false;
  }

  status(): unknown {
    return this.link?.status() ?? null;
  }

  async stop(): Promise<void> {
    await this.link?.stop();
  }

  addScore(source: string, weight: number): void {
    this.link?.addScore(source, weight);
  }

  /** `origin` manual (an operator's `sshwarden ban`) marks the origin id `manual:…`, so the fleet report can tell it from the guard's own bans. */
  publishBan(target: string, since: number, until: number, reason: string, evidence: unknown[], origin: string): void {
    this.link?.publish({ kind: 'ban', target, seconds: Math.max(1, Math.round((until - this.host.now()) / 1000)), reason, evidence, originId: banOriginId(target, since, origin) });
  }

  publishUnban(target: string): void {
    this.link?.publish({ kind: 'unban', target, seconds: null, reason: 'manual unban', evidence: [], originId: `unban:${target}:${this.host.now()}` });
  }

  publishAllow(target: string, allowed: boolean): void {
    const kind = allowed ? 'allow' : 'unallow';
    this.link?.publish({ kind, target, seconds: null, reason: `sshwarden ${allowed ? 'allow' : 'allow --remove'}`, evidence: [], originId: `${kind}:${target}:${this.host.now()}` });
  }

  /** A login here: published at most once per 10 minutes per address. */
  publishLogin(address: string, ts: number): void {
    const last = this.loginPublished.get(address);
    if (last !== undefined && ts - last < 600_000) return;
    if (this.loginPublished.size > 100_000) this.loginPublished.clear();
    this.loginPublished.set(address, ts);
    this.link?.publish(this.loginItem(address, ts));
  }

  private loginItem(address: string, ts: number): PublishItem {
    const left = Math.max(1, Math.round((ts + this.cfg.never_ban.authenticated_for - this.host.now()) / 1000));
    return { kind: 'login', target: address, seconds: left, reason: 'logged in', evidence: [], originId: `login:${address}:${Math.floor(ts / 600_000)}` };
  }

  private backlog(): PublishItem[] {
    const out: PublishItem[] = [];
    for (const a of this.host.allows()) out.push({ kind: 'allow', target: a.cidr, seconds: null, reason: 'sshwarden allow', evidence: [], originId: `allow:${a.cidr}:${a.added}` });
    for (const l of this.host.logins()) out.push(this.loginItem(l.address, l.last));
    for (const b of this.host.localBans()) {
      out.push({ kind: 'ban', target: b.target, seconds: Math.max(1, Math.round((b.until - this.host.now()) / 1000)), reason: b.reason, evidence: [], originId: banOriginId(b.target, b.since, b.origin) });
    }
    return out;
  }

  private apply(d: FleetDecision): void {
    const share = this.cfg.fleet!.share;
    switch (d.kind) {
      case 'ban':
        if (!share.bans || d.remainingMs === null || d.remainingMs <= 0) return;
        this.host.applyBan(d.target, this.host.now() + d.remainingMs, `fleet #${d.seq} from ${d.server}: ${d.reason}`, d.seq);
        break;
      case 'unban':
        if (!share.bans) return;
        this.host.liftFleetBan(d.target, `unbanned on ${d.server} (fleet #${d.seq})`);
        break;
      case 'allow':
      case 'unallow':
        this.host.setFleetAllow(d.target, d.kind === 'allow', d.server);
        break;
      case 'login':
        if (!share.logins) return;
        this.host.learnLogin(d.target, d.server);
        break;
    }
    this.host.countApplied(d.kind);
  }
}

/** A ban's idempotency key in the fleet: `ban:T:since`, or `manual:ban:T:since` for an operator's ban. */
function banOriginId(target: string, since: number, origin: string): string {
  return `${origin === 'manual' ? 'manual:' : ''}ban:${target}:${since}`;
}
