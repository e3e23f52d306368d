/**
 * A guard's link to the fleet. The guard keeps deciding locally (its SQLite store stays the
 * source of truth for this server, so a database outage never stops a local ban); the link
 *
 * - publishes this server's decisions (ban, unban, allow, unallow, login) and per-source score
 *   summaries (summed per second here, per minute in the database; not every log line),
 * - listens (LISTEN/NOTIFY) and reads every decision after the last seq it applied, in seq order,
 *   handing each other server's decision to the guard exactly once (the seq is saved in the
 *   guard's store after each one), so after a disconnect or a restart it catches up by seq,
 * - reconnects with back-off, and on every (re)connect republishes what the guard holds (active
 *   bans, recent logins): publishing is idempotent by origin id, so nothing is lost and nothing
 *   doubles.
 *
 * One connection per guard; every statement bounded (connect.ts). The database's clock, not this
 * server's, sets `until`: a ban arrives as "N seconds from now", so clock skew between servers
 * does not shorten or stretch it.
 */
import pg from 'pg';
import { clientConfig, redact, type FleetDatabase } from './connect.ts';
import { schemaProblem, schemaVersion } from './migrate.ts';
import { drainQueue, publishScores, readDecisions } from './statements.ts';

export type FleetKind = 'ban' | 'unban' | 'allow' | 'unallow' | 'login';

/** A decision read from the fleet, for the guard to apply. */
export interface FleetDecision {
  readonly seq: number;
  readonly server: string;
  readonly kind: FleetKind;
  /** Address or CIDR as PostgreSQL prints it (a host address without /32, /128). */
  readonly target: string;
  /** Milliseconds left until it ends, by the database's clock (null: no end). */
  readonly remainingMs: number | null;
  readonly reason: string;
}

/** What the link needs from the guard (implemented by the daemon). */
export interface FleetSink {
  /** Applies another server's (or the fleet rule's) decision. Must be synchronous and idempotent for the same seq. */
  apply(d: FleetDecision): void;
  /** The last seq applied (from the guard's store), 0 at first. */
  cursor(): number;
  saveCursor(seq: number): void;
  /** Everything the guard holds that the fleet should know (active bans, recent logins): republished on every connect. */
  backlog(): PublishItem[];
  log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void;
}

export interface PublishItem {
  kind: FleetKind;
  target: string;
  /** Duration in seconds (ban, login: how long it protects), or null. */
  seconds: number | null;
  reason: string;
  evidence: unknown[];
  /** Idempotency key, unique per server. */
  originId: string;
}

export interface FleetLinkOptions {
  database: FleetDatabase;
  server: string;
  threshold: number;
  windowMs: number;
  banMs: number;
  version: string;
  /** Upper bound of queued decisions while the database is away (older ones are republished from the store on connect). */
  maxQueue?: number;
}

export interface FleetStatus {
  state: 'connecting' | 'up' | 'down';
  server: string;
  database: string;
  error: string | null;
  lastSeq: number;
  queued: number;
  dropped: number;
  published: number;
  applied: number;
  since: string | null;
}

const CHANNEL = 'sshwarden_decisions';
const BATCH = 1000;
/** How long a notification waits for the rest of its burst before the catch-up query. */
const WAKE_DELAY_MS = 20;

export class FleetLink {
  private readonly opts: FleetLinkOptions;
  private readonly sink: FleetSink;
  private client: pg.Client | null = null;
  private state: FleetStatus['state'] = 'connecting';
  private error: string | null = null;
  private since: number | null = null;
  private queue: PublishItem[] = [];
  private scores = new Map<string, { score: number; events: number }>();
  private dropped = 0;
  private published = 0;
  private applied = 0;
  private pumping = false;
  private again = false;
  private stopped = false;
  private retryMs = 1000;
  private timers: NodeJS.Timeout[] = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private lastHeartbeat = 0;

  constructor(opts: FleetLinkOptions, sink: FleetSink) {
    this.opts = opts;
    this.sink = sink;
  }

  start(): void {
    this.timers.push(setInterval(() => this.kick(), 1000));
    void this.connect();
  }

  /** Queues one of this server's decisions for the fleet. */
  publish(item: PublishItem): void {
    if (this.queue.length >= (this.opts.maxQueue ?? 50_000)) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(item);
    this.kick();
  }

  /** Adds to a source's score summary (sent once a second). */
  addScore(source: string, weight: number): void {
    const s = this.scores.get(source);
    if (s) {
      s.score += weight;
      s.events++;
    } else if (this.scores.size < 100_000) this.scores.set(source, { score: weight, events: 1 });
  }

  status(): FleetStatus {
    return {
      state: this.state,
      server: this.opts.server,
      database: redact(this.opts.database.url),
      error: this.error,
      lastSeq: this.sink.cursor(),
      queued: this.queue.length,
      dropped: this.dropped,
      published: this.published,
      applied: this.applied,
      since: this.since === null ? null : new Date(this.since).toISOString(),
    };
  }

  get up(): boolean {
    return this.state === 'up';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (let i = 0; i < 50 && this.pumping; i++) await new Promise((r) => setTimeout(r, 20));
    await this.client?.end().catch(() => {});
    this.client = null;
  }

  // ---- connection ----------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.state = this.state === 'up' ? 'down' : this.state;
    let client: pg.Client;
    try {
      client = new pg.Client(clientConfig(this.opts.database, { applicationName: `sshwarden-guard ${this.opts.server}` }));
    } catch (e) {
      return this.down((e as Error).message, null);
    }
    client.on('error', (e) => this.down(e.message, client));
    client.on('end', () => this.down('connection closed', client));
    client.on('notification', (n) => {
      // A burst of decisions wakes the link once: catch-up reads them all in one query.
      if (n.channel === CHANNEL && !this.wakeTimer) this.wakeTimer = setTimeout(() => ((this.wakeTimer = null), this.kick()), WAKE_DELAY_MS);
    });
    try {
      await client.connect();
      const problem = schemaProblem(await schemaVersion(client));
      if (problem) throw new Error(problem);
      const me = (await client.query<{ me: string }>('SELECT sshwarden.me() AS me')).rows[0].me;
      if (me !== this.opts.server) throw new Error(`this role is registered as server ${JSON.stringify(me)}, but the config says ${JSON.stringify(this.opts.server)}`);
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      return this.down((e as Error).message, null);
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.state = 'up';
    this.error = null;
    this.since = Date.now();
    this.retryMs = 1000;
    // What happened here while the link was away: republished (idempotent), before the queue.
    const backlog = this.sink.backlog();
    this.queue = [...backlog, ...this.queue];
    this.sink.log('info', 'fleet connected', { database: redact(this.opts.database.url), server: this.opts.server, lastSeq: this.sink.cursor(), republish: backlog.length });
    this.kick();
  }

  private down(error: string, client: pg.Client | null): void {
    if (client !== null && client !== this.client) return; // an old connection's late event
    if (this.stopped) return;
    const wasUp = this.state === 'up';
    this.client = null;
    this.state = 'down';
    if (client) client.end().catch(() => {});
    if (wasUp || this.error !== error) this.sink.log(wasUp ? 'error' : 'warn', 'fleet unreachable; deciding locally, retrying', { error, retryInSeconds: this.retryMs / 1000 });
    this.error = error;
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.retryMs);
    this.reconnectTimer.unref?.();
    this.retryMs = Math.min(30_000, this.retryMs * 2);
  }

  // ---- the pump: publish, then read ----------------------------------------------------------

  private kick(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'up') return;
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.flushDecisions(client);
        await this.flushScores(client);
        await this.catchUp(client);
        if (Date.now() - this.lastHeartbeat > 5000) {
          await client.query('SELECT sshwarden.heartbeat($1, $2)', [this.sink.cursor(), this.opts.version]);
          this.lastHeartbeat = Date.now();
        }
      } while (this.again && this.client === client && !this.stopped);
    } catch (e) {
      this.down((e as Error).message, client);
    } finally {
      this.pumping = false;
    }
  }

  /** Publishes the queue in batches of up to 500, one round trip each. */
  private async flushDecisions(client: pg.Client): Promise<void> {
    this.published += await drainQueue(client, this.queue, (level, msg, fields) => this.sink.log(level, msg, fields));
  }

  private async flushScores(client: pg.Client): Promise<void> {
    if (this.scores.size === 0) return;
    const scores = this.scores;
    this.scores = new Map();
    await publishScores(client, scores, this.opts);
  }

  private async catchUp(client: pg.Client): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const rows = await readDecisions(client, this.sink.cursor(), BATCH);
      for (const d of rows) {
        if (d.server !== this.opts.server) {
          this.sink.apply(d);
          this.applied++;
        }
        this.sink.saveCursor(d.seq);
      }
      if (rows.length < BATCH) return;
    }
  }
}
