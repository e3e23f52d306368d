/**
 * The connection that listens for new fleet decisions, for a guard's own link (./link.ts) and a
 * site's shared listener (./site.ts): connects (schema version checked, then the owner's own
 * checks), `LISTEN`s, wakes the owner once per burst of notifications, and on any failure closes,
 * tells the owner and reconnects with back-off (1 s doubling to 30 s). The owner reads and writes
 * over `client` while `state` is 'up', and reports a failed query with `lost()`.
 */
import pg from 'pg';
import { clientConfig, type FleetDatabase } from './connect.ts';
import { schemaProblem, schemaVersion } from './migrate.ts';

const CHANNEL = 'sshwarden_decisions';
/** How long a notification waits for the rest of its burst before the owner is woken. */
const WAKE_DELAY_MS = 20;

export interface ListenHooks {
  /** Checks after the schema's (throw an Error naming the problem to refuse the connection). */
  verify?(client: pg.Client): Promise<void>;
  /** Connected and listening (again). */
  up(client: pg.Client): void;
  /** New decisions were notified. */
  wake(): void;
  /** The connection failed or could not be made; `changed`: a new error or it was up (worth a log line). */
  down(error: string, wasUp: boolean, changed: boolean, retryInMs: number): void;
}

export class ListenConnection {
  client: pg.Client | null = null;
  state: 'connecting' | 'up' | 'down' = 'connecting';
  error: string | null = null;
  since: number | null = null;
  private readonly db: FleetDatabase;
  private readonly applicationName: string;
  private readonly hooks: ListenHooks;
  private stopped = false;
  private retryMs = 1000;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;

  constructor(db: FleetDatabase, applicationName: string, hooks: ListenHooks) {
    this.db = db;
    this.applicationName = applicationName;
    this.hooks = hooks;
  }

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    await this.client?.end().catch(() => {});
    this.client = null;
  }

  /** The owner's query over `client` failed: close it and reconnect. */
  lost(error: string, client: pg.Client): void {
    this.down(error, client);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let client: pg.Client;
    try {
      client = new pg.Client(clientConfig(this.db, { applicationName: this.applicationName }));
    } catch (e) {
      return this.down((e as Error).message, null);
    }
    client.on('error', (e) => this.down(e.message, client));
    client.on('end', () => this.down('connection closed', client));
    client.on('notification', (n) => {
      // A burst of decisions wakes the owner once: its catch-up reads them all in one query.
      if (n.channel === CHANNEL && !this.wakeTimer) this.wakeTimer = setTimeout(() => ((this.wakeTimer = null), this.hooks.wake()), WAKE_DELAY_MS);
    });
    try {
      await client.connect();
      const problem = schemaProblem(await schemaVersion(client));
      if (problem) throw new Error(problem);
      await this.hooks.verify?.(client);
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
    this.hooks.up(client);
  }

  private down(error: string, client: pg.Client | null): void {
    if (client !== null && client !== this.client) return; // an old connection's late event
    if (this.stopped) return;
    const wasUp = this.state === 'up';
    this.client = null;
    this.state = 'down';
    if (client) client.end().catch(() => {});
    this.hooks.down(error, wasUp, wasUp || this.error !== error, this.retryMs);
    this.error = error;
    if (this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.retryMs);
    this.reconnectTimer.unref?.();
    this.retryMs = Math.min(30_000, this.retryMs * 2);
  }
}
