/**
 * The fleet schema's versioned migrations: src/fleet/migrations/NNN_name.sql, applied in order,
 * each once, in one transaction under an advisory lock (two `fleet init` at once are safe): a
 * migration that fails leaves the schema at the version it had before (nothing of the run is kept)
 * and the error names the migration.
 * `sshwarden.schema_migrations` records what was applied; a guard refuses a schema newer than
 * the migrations it knows (it keeps working locally and says so).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Client, QueryConfig } from 'pg';
import { SERVER_NAME } from './connect.ts';

const DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

function migrationFiles(): string[] {
  return readdirSync(DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
}

/** Every migration with its SQL (read from disk: call once per run). */
export function migrations(): Migration[] {
  return migrationFiles().map((f) => ({ version: Number(f.slice(0, 3)), name: f.slice(4, -4), sql: readFileSync(new URL(f, DIR), 'utf8') }));
}

/** The newest migration's version, from the file names alone (the guards need it at start, not the SQL). */
export const SCHEMA_VERSION = Math.max(...migrationFiles().map((f) => Number(f.slice(0, 3))));

/**
 * How long a migration may work, and wait for a table. The guards' statements are bounded at 15 s
 * (connect.ts, 20 s per round trip); a migration builds indexes over every decision the fleet
 * holds (version 1 never pruned: 6 million decisions took 6 s here, warm cache; more rows on a
 * slow disk take longer), so its work gets far longer, still bounded. Waiting for a lock is kept
 * short instead: while a migration waits to alter a table, every guard's read of it waits behind
 * it, so after LOCK_WAIT_MS the migration gives up (nothing changed; the message says why).
 */
export const MIGRATION_TIMEOUT_MS = 30 * 60_000;
export const LOCK_WAIT_MS = 10_000;

/** `sql` with node-postgres's per-query read timeout (not in its types) above MIGRATION_TIMEOUT_MS: the connection's is the guards' 20 s. */
function long(sql: string): QueryConfig {
  const query: QueryConfig & { query_timeout: number } = { text: sql, query_timeout: MIGRATION_TIMEOUT_MS + 60_000 };
  return query;
}

/** The schema version in the database, or null when the fleet schema is not there. */
export async function schemaVersion(client: Client): Promise<number | null> {
  const t = await client.query<{ t: string | null }>(`SELECT to_regclass('sshwarden.schema_migrations')::text AS t`);
  if (!t.rows[0].t) return null;
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM sshwarden.schema_migrations');
  return r.rows[0].v;
}

/** Why this sshwarden cannot work with the database's schema, or null. */
export function schemaProblem(version: number | null): string | null {
  if (version === null) return 'the fleet schema is not there: run `sshwarden fleet init URL` once';
  if (version > SCHEMA_VERSION) return `the fleet schema is version ${version}, newer than this sshwarden knows (${SCHEMA_VERSION}): upgrade sshwarden on this server`;
  if (version < SCHEMA_VERSION) return `the fleet schema is version ${version}, older than this sshwarden needs (${SCHEMA_VERSION}): run \`sshwarden fleet init URL\` to migrate it`;
  return null;
}

/**
 * Applies the missing migrations (up to `upTo`, default all: a smaller one makes the schema of an
 * older sshwarden, for tests of the upgrade); returns the versions before and after. Needs a role
 * that may create schemas and roles.
 */
export async function migrate(client: Client, opts: { upTo?: number } = {}): Promise<{ from: number; to: number }> {
  const upTo = opts.upTo ?? SCHEMA_VERSION;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await client.query(long(`SELECT pg_advisory_xact_lock(hashtext('sshwarden.migrate'))`)); // another fleet init may be migrating
    await client.query(`SET LOCAL lock_timeout = ${LOCK_WAIT_MS}`);
    await client.query('CREATE SCHEMA IF NOT EXISTS sshwarden');
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sshwarden_server') THEN CREATE ROLE sshwarden_server NOLOGIN; END IF;
    END $$`);
    await client.query('CREATE TABLE IF NOT EXISTS sshwarden.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())');
    await client.query('GRANT USAGE ON SCHEMA sshwarden TO sshwarden_server');
    await client.query('GRANT SELECT ON sshwarden.schema_migrations TO sshwarden_server');
    const from = (await client.query<{ v: number | null }>('SELECT max(version) AS v FROM sshwarden.schema_migrations')).rows[0].v ?? 0;
    if (from > SCHEMA_VERSION) throw new Error(schemaProblem(from)!);
    const all = migrations();
    const mismatch = await client.query<{ version: number; name: string }>(
      'SELECT a.version, a.name FROM sshwarden.schema_migrations a JOIN unnest($1::int[], $2::text[]) k(version, name) USING (version) WHERE a.name <> k.name ORDER BY a.version LIMIT 1',
      [all.map((m) => m.version), all.map((m) => m.name)],
    );
    if (mismatch.rows[0]) {
      const { version, name } = mismatch.rows[0];
      const ours = all.find((m) => m.version === version)!.name;
      throw new Error(`the fleet schema's migration ${version} is ${JSON.stringify(name)}, but this sshwarden's migration ${version} is ${JSON.stringify(ours)} (the database was made by a build of sshwarden with other migrations): nothing changed; migrate it by hand or start a new fleet database`);
    }
    let to = from;
    for (const m of all) {
      if (m.version <= from || m.version > upTo) continue;
      try {
        await client.query(long(m.sql));
      } catch (e) {
        let why = (e as Error).message.replace(/\s+/g, ' ');
        if ((e as { code?: string }).code === '55P03') why += `: another session held a table it changes for more than ${LOCK_WAIT_MS / 1000} s (a long report or a backup?); run fleet init again once it is done`;
        throw new Error(`migration ${String(m.version).padStart(3, '0')}_${m.name}.sql failed, nothing changed (the schema stays at version ${from}): ${why}`);
      }
      await client.query('INSERT INTO sshwarden.schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      to = m.version;
    }
    await client.query('COMMIT');
    return { from, to };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The login role of server `name` (names are checked: lower-case letters, digits, . _ -). */
export function roleFor(name: string): string {
  if (!SERVER_NAME.test(name)) throw new Error(`not a server name (lower-case letters, digits, '.', '_', '-'; at most 63): ${JSON.stringify(name)}`);
  return `sshwarden_${name.replace(/[.-]/g, '_')}`;
}

/**
 * Registers server `name` with its own login role (member of sshwarden_server) and password.
 * Identifiers and the password cannot be bind parameters in CREATE/ALTER ROLE: the name is
 * validated above and both are escaped by node-postgres's escapeIdentifier/escapeLiteral.
 */
export async function registerServer(client: Client, name: string, password: string): Promise<{ role: string; created: boolean }> {
  const role = roleFor(name);
  if (name === 'fleet') throw new Error(`"fleet" is reserved for the fleet rule's own decisions`);
  await client.query('BEGIN');
  try {
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount! > 0;
    const id = client.escapeIdentifier(role);
    if (!exists) await client.query(`CREATE ROLE ${id} LOGIN IN ROLE sshwarden_server`);
    await client.query(`ALTER ROLE ${id} WITH LOGIN PASSWORD ${client.escapeLiteral(password)} CONNECTION LIMIT 4`);
    await client.query('INSERT INTO sshwarden.servers (name, role) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET role = excluded.role', [name, role]);
    await client.query('COMMIT');
    return { role, created: !exists };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The login role `sshwarden fleet init --reader` makes for reports: a member of sshwarden_reader (SELECT only). */
export const READER_ROLE = 'sshwarden-report'; // a hyphen: no server's role (roleFor) can be named so

/** Creates or updates the reporting login role (read-only: member of sshwarden_reader, made by migration 003). */
export async function registerReader(client: Client, password: string): Promise<{ role: string; created: boolean }> {
  const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [READER_ROLE])).rowCount! > 0;
  const id = client.escapeIdentifier(READER_ROLE);
  if (!exists) await client.query(`CREATE ROLE ${id} LOGIN IN ROLE sshwarden_reader`);
  await client.query(`ALTER ROLE ${id} WITH LOGIN PASSWORD ${client.escapeLiteral(password)} CONNECTION LIMIT 4`);
  return { role: READER_ROLE, created: !exists };
}

/** Retention: removes scores and decisions older than `seconds` that no longer decide anything (see migration 003). */
export async function prune(client: Client, seconds: number): Promise<{ scores: number; decisions: number }> {
  const r = await client.query<{ scores: string; decisions: string }>('SELECT scores, decisions FROM sshwarden.prune(make_interval(secs => $1))', [seconds]);
  return { scores: Number(r.rows[0].scores), decisions: Number(r.rows[0].decisions) };
}
