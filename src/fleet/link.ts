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
import type pg from 'pg';
import { redact, type FleetDatabase } from './connect.ts';
import { ListenConnection } from './listen.ts';
import { addScore, drainQueue, enqueue, publishScores, readDecisions } from './statements.ts';
import type { FleetDecision, PublishItem } from './decisions.ts';

export type { FleetDecision, FleetKind, PublishItem } from './decisions.ts';

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

const BATCH = 1000;

export class FleetLink {
  private readonly opts: FleetLinkOptions;
  private readonly sink: FleetSink;
  private readonly conn: ListenConnection;
  private queue: PublishItem[] = [];
  private scores = new Map<string, { score: number; events: number }>();
  private dropped = 0;
  private published = 0;
  private applied = 0;
  private pumping = false;
  private again = false;
  private stopped = false;
  private timers: NodeJS.Timeout[] = [];
  private lastHeartbeat = 0;

  constructor(opts: FleetLinkOptions, sink: FleetSink) {
    this.opts = opts;
    this.sink = sink;
    this.conn = new ListenConnection(opts.database, `sshwarden-guard ${opts.server}`, {
      verify: async (client) => {
        const me = (await client.query<{ me: string }>('SELECT sshwarden.me() AS me')).rows[0].me;
        if (me !== opts.server) throw new Error(`this role is registered as server ${JSON.stringify(me)}, but the config says ${JSON.stringify(opts.server)}`);
      },
      up: () => {
        // What happened here while the link was away: republished (idempotent), before the queue.
        const backlog = this.sink.backlog();
        this.queue = [...backlog, ...this.queue];
        this.sink.log('info', 'fleet connected', { database: redact(opts.database.url), server: opts.server, lastSeq: this.sink.cursor(), republish: backlog.length });
        this.kick();
      },
      wake: () => this.kick(),
      down: (error, wasUp, changed, retryInMs) => {
        if (changed) this.sink.log(wasUp ? 'error' : 'warn', 'fleet unreachable; deciding locally, retrying', { error, retryInSeconds: retryInMs / 1000 });
      },
    });
  }

  start(): void {
    this.timers.push(setInterval(() => this.kick(), 1000));
    this.conn.start();
  }

  /** Queues one of this server's decisions for the fleet. */
  publish(item: PublishItem): void {
    this.dropped += enqueue(this.queue, item, this.opts.maxQueue);
    this.kick();
  }

  /** Adds to a source's score summary (sent once a second). */
  addScore(source: string, weight: number): void {
    addScore(this.scores, source, weight);
  }

  status(): FleetStatus {
    return {
      state: this.conn.state,
      server: this.opts.server,
      database: redact(this.opts.database.url),
      error: this.conn.error,
      lastSeq: this.sink.cursor(),
      queued: this.queue.length,
      dropped: this.dropped,
      published: this.published,
      applied: this.applied,
      since: this.conn.since === null ? null : new Date(this.conn.since).toISOString(),
    };
  }

  get up(): boolean {
    return this.conn.state === 'up';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (let i = 0; i < 50 && this.pumping; i++) await new Promise((r) => setTimeout(r, 20));
    await this.conn.stop();
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
    const client = this.conn.client;
    if (!client || this.conn.state !== 'up') return;
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
      } while (this.again && this.conn.client === client && !this.stopped);
    } catch (e) {
      this.conn.lost((e as Error).message, client);
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
