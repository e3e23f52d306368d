/**
 * A shared listener for many guards in one process (a "site"): one connection LISTENs and reads
 * every decision after the lowest cursor of its members, once, and hands each member the other
 * servers' decisions exactly once, in seq order, from its own cursor (saved after each batch);
 * the members publish through a small pool of connections (at most `poolSize` open, each logged in
 * as the publishing server's own role, so every write still names its server and its role's
 * limits hold). With one connection per guard (./link.ts), 1,000 guards are 1,000 connections
 * and 1,000 catch-up queries per decision burst; a site is 1 + poolSize connections and one query.
 *
 * A member has the same surface as a FleetLink (publish, addScore, status, up, stop) and the same
 * sink (./link.ts FleetSink). A member is seen in `fleet status` when it publishes (its heartbeat
 * goes over its pool connection); the site's listener itself may use any role that can read the
 * fleet (a server's, or the read-only sshwarden-report).
 */
import pg from 'pg';
import { clientConfig, redact, type FleetDatabase } from './connect.ts';
import { ListenConnection } from './listen.ts';
import { addScore, drainQueue, enqueue, publishScores, readDecisions } from './statements.ts';
import type { FleetDecision, FleetLinkOptions, FleetSink, FleetStatus, PublishItem } from './link.ts';

export interface FleetSiteOptions {
  /** The listening and reading connection. */
  listener: FleetDatabase;
  /** Publishing connections open at once (default 4). */
  poolSize?: number;
  log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void;
}

const BATCH = 5000;
const HEARTBEAT_MS = 5000;

interface Pooled {
  client: pg.Client;
  lastUsed: number;
  busy: boolean;
}

export class FleetSite {
  private readonly opts: FleetSiteOptions;
  private readonly members = new Map<string, SiteMember>();
  private readonly pool = new Map<string, Pooled>();
  private readonly conn: ListenConnection;
  private opening = 0;
  private reading = false;
  private readAgain = false;
  private flushing = false;
  private flushAgain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: FleetSiteOptions) {
    this.opts = opts;
    this.conn = new ListenConnection(opts.listener, 'sshwarden-site', {
      up: () => {
        // What the members hold is republished (idempotent by origin id), before their queues.
        let republish = 0;
        for (const m of this.members.values()) republish += m.requeueBacklog();
        this.opts.log('info', 'fleet site connected', { database: redact(opts.listener.url), members: this.members.size, republish });
        for (const m of this.members.values()) m.connected();
        this.read();
        this.flush();
      },
      wake: () => this.read(),
      down: (error, wasUp, changed, retryInMs) => {
        if (changed) this.opts.log(wasUp ? 'error' : 'warn', 'fleet site unreachable; members decide locally, retrying', { error, retryInSeconds: retryInMs / 1000 });
      },
    });
  }

  /** A guard of this site: its own server name and role (opts.database, for publishing), its own sink and cursor. */
  join(opts: FleetLinkOptions, sink: FleetSink): SiteMember {
    if (this.members.has(opts.server)) throw new Error(`server ${JSON.stringify(opts.server)} is already a member of this site`);
    const m = new SiteMember(this, opts, sink);
    this.members.set(opts.server, m);
    return m;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.read();
      this.flush();
    }, 1000);
    this.conn.start();
  }

  get up(): boolean {
    return this.conn.state === 'up';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (let i = 0; i < 100 && (this.reading || this.flushing); i++) await new Promise((r) => setTimeout(r, 20));
    await this.conn.stop();
    await Promise.all([...this.pool.values()].map((p) => p.client.end().catch(() => {})));
    this.pool.clear();
  }

  /** @internal the members' view of the listener. */
  listenerStatus(): { state: FleetStatus['state']; error: string | null; since: number | null; database: string } {
    return { state: this.conn.state, error: this.conn.error, since: this.conn.since, database: redact(this.opts.listener.url) };
  }

  /** @internal a member has something to publish. */
  flush(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    void this.flushAll();
  }

  /** @internal a member left. */
  leave(m: SiteMember): void {
    this.members.delete(m.server);
    const p = this.pool.get(m.server);
    if (p && !p.busy) {
      this.pool.delete(m.server);
      void p.client.end().catch(() => {});
    }
  }

  // ---- the listener: one LISTEN, one catch-up for every member --------------------------------

  private read(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    void this.readAll();
  }

  private async readAll(): Promise<void> {
    const client = this.conn.client;
    if (!client || this.conn.state !== 'up' || this.members.size === 0) return;
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        for (let round = 0; round < 100; round++) {
          let from = Infinity;
          for (const m of this.members.values()) from = Math.min(from, m.cursor);
          const rows = await readDecisions(client, from, BATCH);
          for (const m of this.members.values()) m.deliver(rows);
          if (rows.length < BATCH) break;
        }
      } while (this.readAgain && this.conn.client === client && !this.stopped);
    } catch (e) {
      this.conn.lost((e as Error).message, client);
    } finally {
      this.reading = false;
    }
  }

  // ---- the publishing pool ------------------------------------------------------------------

  private async flushAll(): Promise<void> {
    this.flushing = true;
    try {
      do {
        this.flushAgain = false;
        if (this.conn.state !== 'up') return;
        const now = Date.now();
        const due = [...this.members.values()].filter((m) => m.hasWork(now, this.pool.has(m.server)));
        const size = Math.max(1, this.opts.poolSize ?? 4);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < due.length && !this.stopped) await this.flushMember(due[next++]);
        };
        await Promise.all(Array.from({ length: Math.min(size, due.length) }, worker));
      } while (this.flushAgain && !this.stopped);
    } finally {
      this.flushing = false;
    }
  }

  private async flushMember(m: SiteMember): Promise<void> {
    let p: Pooled;
    try {
      p = await this.connectionFor(m);
    } catch (e) {
      m.failed((e as Error).message);
      return;
    }
    p.busy = true;
    try {
      await m.flushOver(p.client);
      m.ok();
    } catch (e) {
      m.failed((e as Error).message);
      this.pool.delete(m.server);
      await p.client.end().catch(() => {});
    } finally {
      p.busy = false;
      p.lastUsed = Date.now();
    }
  }

  /** The member's pooled connection (its own role), opening one and closing the least recently used idle one when the pool is full. */
  private async connectionFor(m: SiteMember): Promise<Pooled> {
    const have = this.pool.get(m.server);
    if (have) return have;
    // Connections being opened count against the pool too (the workers open them concurrently).
    const size = Math.max(1, this.opts.poolSize ?? 4);
    this.opening++;
    try {
      if (this.pool.size + this.opening > size) {
        const idle = [...this.pool.entries()].filter(([, p]) => !p.busy).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
        if (idle) {
          this.pool.delete(idle[0]);
          await idle[1].client.end().catch(() => {});
        }
      }
      const client = new pg.Client(clientConfig(m.database, { applicationName: `sshwarden-guard ${m.server}` }));
      client.on('error', () => {}); // a pooled connection's failure shows at its next query
      try {
        await client.connect();
        const me = (await client.query<{ me: string }>('SELECT sshwarden.me() AS me')).rows[0].me;
        if (me !== m.server) throw new Error(`this role is registered as server ${JSON.stringify(me)}, but the config says ${JSON.stringify(m.server)}`);
      } catch (e) {
        await client.end().catch(() => {});
        throw e;
      }
      const p = { client, lastUsed: Date.now(), busy: false };
      this.pool.set(m.server, p);
      return p;
    } finally {
      this.opening--;
    }
  }
}

/** One guard of a site (what FleetLink is for a guard on its own). */
export class SiteMember {
  readonly server: string;
  readonly database: FleetDatabase;
  /** The last seq this member has been handed (from its sink at join). */
  cursor: number;
  private readonly site: FleetSite;
  private readonly opts: FleetLinkOptions;
  private readonly sink: FleetSink;
  private queue: PublishItem[] = [];
  private scores = new Map<string, { score: number; events: number }>();
  private dropped = 0;
  private published = 0;
  private applied = 0;
  private error: string | null = null;
  private lastHeartbeat = 0;

  constructor(site: FleetSite, opts: FleetLinkOptions, sink: FleetSink) {
    this.site = site;
    this.opts = opts;
    this.sink = sink;
    this.server = opts.server;
    this.database = opts.database;
    this.cursor = sink.cursor();
  }

  publish(item: PublishItem): void {
    this.dropped += enqueue(this.queue, item, this.opts.maxQueue);
    this.site.flush();
  }

  addScore(source: string, weight: number): void {
    addScore(this.scores, source, weight);
  }

  get up(): boolean {
    return this.site.up && this.error === null;
  }

  status(): FleetStatus {
    const l = this.site.listenerStatus();
    return {
      state: l.state === 'up' && this.error !== null ? 'down' : l.state,
      server: this.server,
      database: l.database,
      error: this.error ?? l.error,
      lastSeq: this.cursor,
      queued: this.queue.length,
      dropped: this.dropped,
      published: this.published,
      applied: this.applied,
      since: l.since === null ? null : new Date(l.since).toISOString(),
    };
  }

  async stop(): Promise<void> {
    this.site.leave(this);
  }

  /** @internal the site's listener (re)connected. */
  connected(): void {
    this.sink.log('info', 'fleet connected', { server: this.server, lastSeq: this.cursor, site: true });
  }

  /** @internal puts the sink's backlog before the queue; returns how many. */
  requeueBacklog(): number {
    const backlog = this.sink.backlog();
    this.queue = [...backlog, ...this.queue];
    return backlog.length;
  }

  /** @internal hands this member the decisions after its cursor (not its own), in seq order; saves the cursor once per batch. */
  deliver(rows: readonly FleetDecision[]): void {
    const before = this.cursor;
    for (const d of rows) {
      if (d.seq <= this.cursor) continue;
      if (d.server !== this.server) {
        this.sink.apply(d);
        this.applied++;
      }
      this.cursor = d.seq;
    }
    if (this.cursor !== before) this.sink.saveCursor(this.cursor);
  }

  /** @internal */
  hasWork(now: number, pooled: boolean): boolean {
    // A heartbeat alone only over a connection already open: idle members never churn the pool.
    return this.queue.length > 0 || this.scores.size > 0 || (pooled && now - this.lastHeartbeat > HEARTBEAT_MS);
  }

  /** @internal publishes the queue and the scores over `client` (this member's role), then a heartbeat when due. */
  async flushOver(client: pg.Client): Promise<void> {
    this.published += await drainQueue(client, this.queue, (level, msg, fields) => this.sink.log(level, msg, fields));
    if (this.scores.size > 0) {
      const scores = this.scores;
      this.scores = new Map();
      await publishScores(client, scores, this.opts);
    }
    if (Date.now() - this.lastHeartbeat > HEARTBEAT_MS) {
      // Its heartbeat: when it last published, and the last seq it was handed.
      await client.query('SELECT sshwarden.heartbeat($1, $2)', [this.cursor, this.opts.version]);
      this.lastHeartbeat = Date.now();
    }
  }

  /** @internal */
  ok(): void {
    if (this.error !== null) this.sink.log('info', 'fleet publishing again', { server: this.server });
    this.error = null;
  }

  /** @internal */
  failed(error: string): void {
    if (this.error !== error) this.sink.log('warn', 'fleet publishing failed; deciding locally, retrying', { server: this.server, error });
    this.error = error;
  }
}
