/**
 * How a guard or the `fleet` command reaches the fleet's PostgreSQL: a `postgres://` URL without
 * a password (the password comes from `password_file`, PGPASSFILE or ~/.pgpass, never from the
 * YAML), TLS with certificate and host name verification unless the URL says otherwise or the
 * database is on a local Unix socket.
 */
import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { parse } from 'pg-connection-string';

/** A server's name in the fleet (also its role's name, see migrate.ts). */
export const SERVER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface FleetDatabase {
  /** postgres://user@host[:port]/db[?sslmode=…&host=/socket/dir] */
  url: string;
  /** File whose first line is the password (mode 0600); optional. */
  passwordFile?: string;
}

/** Why `url` cannot be used as the fleet database URL, or null. */
export function fleetUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL (postgres://user@host/db)';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `not a postgres:// URL (${u.protocol})`;
  if (u.password) return 'has a password in it: put the password in password_file or PGPASSFILE, never in the URL';
  const mode = u.searchParams.get('sslmode');
  if (mode && !['disable', 'require', 'verify-ca', 'verify-full', 'no-verify', 'prefer'].includes(mode)) return `unknown sslmode ${JSON.stringify(mode)}`;
  return null;
}

/** node-postgres settings for `db`; throws an Error naming the problem (one line). */
export function clientConfig(db: FleetDatabase, opts: { applicationName?: string; connectTimeoutMs?: number } = {}): ClientConfig {
  const problem = fleetUrlProblem(db.url);
  if (problem) throw new Error(`fleet database URL ${redact(db.url)} ${problem}`);
  const u = new URL(db.url);
  const socketDir = u.searchParams.get('host');
  const local = (socketDir !== null && socketDir.startsWith('/')) || u.hostname === '' || u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
  // Parsed here, not passed as connectionString: node-postgres lets the parsed URL override the
  // other settings (the password from the file would be lost).
  const p = parse(db.url);
  const cfg: ClientConfig = {
    host: p.host ?? undefined,
    port: p.port ? Number(p.port) : undefined,
    user: p.user ?? undefined,
    database: p.database ?? undefined,
    ssl: p.ssl as ClientConfig['ssl'],
    application_name: opts.applicationName ?? 'sshwarden',
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    // A guard must never hang on a stalled query: every statement is bounded.
    statement_timeout: 15_000,
    query_timeout: 20_000,
    keepAlive: true,
  };
  if (!u.searchParams.has('sslmode') && !local) cfg.ssl = { rejectUnauthorized: true };
  if (db.passwordFile) {
    let text: string;
    try {
      text = readFileSync(db.passwordFile, 'utf8');
    } catch (e) {
      throw new Error(`${db.passwordFile}: cannot read the fleet password file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    cfg.password = text.split('\n')[0];
  }
  return cfg;
}

/** The URL with any password masked, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@]*@/, '$1:***@');
}
