/**
 * A real PostgreSQL (Debian's, /usr/lib/postgresql/<v>/bin) for the tests: initdb in a temporary
 * directory, started as the `postgres` user on a private Unix socket only (no TCP: every network
 * namespace reaches it through the file system), stopped by the PID we started, and the directory
 * removed. Superuser `postgres` with a password (scram-sha-256), so roles need their passwords.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Postgres {
  readonly dir: string;
  readonly socketDir: string;
  readonly port: number;
  readonly superPassword: string;
  pid(): number;
  /** postgres:// URL for `role` on database `db` over the socket (no password in it). */
  url(role: string, db?: string): string;
  /** Runs SQL as the superuser with psql; returns stdout (throws on error). */
  psql(sql: string, db?: string): string;
  /** Stops the server (fast shutdown), keeping the data. */
  stop(): Promise<void>;
  /** Starts it again on the same data, socket and port. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server not installed (apt-get install postgresql; test.sh installs it)');
  return join(base, versions[0], 'bin');
}

function postgresIds(): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('no postgres user (installed with the postgresql package)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export async function startPostgres(opts: { maxConnections?: number } = {}): Promise<Postgres> {
  const bin = binDir();
  const ids = postgresIds();
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-pg-'));
  chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const superPassword = `pw-${process.pid}-${Date.now()}`;
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${superPassword}\n`, { mode: 0o600 });
  chownSync(pwfile, ids.uid, ids.gid);
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '-E', 'UTF8', '--no-sync'], { ...ids, encoding: 'utf8', cwd: dir, timeout: 120_000 });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  spawnSync('mkdir', ['-p', socketDir]);
  chownSync(socketDir, ids.uid, ids.gid);
  const port = 20000 + (process.pid % 9000);
  let child: ChildProcess | null = null;
  const env = { ...process.env, PGPASSWORD: superPassword };

  const pg: Postgres = {
    dir,
    socketDir,
    port,
    superPassword,
    pid: () => child?.pid ?? -1,
    url: (role, db = 'sshwarden') => `postgres://${role}@localhost/${db}?host=${encodeURIComponent(socketDir)}&port=${port}`,
    psql(sql, db = 'postgres') {
      const r = spawnSync(join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', db, '-At', '-c', sql], { encoding: 'utf8', env, timeout: 30_000 });
      if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
      return r.stdout;
    },
    async start() {
      child = spawn(join(bin, 'postgres'), ['-D', data, '-k', socketDir, '-p', String(port), '-c', "listen_addresses=", '-c', `max_connections=${opts.maxConnections ?? 200}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], {
        ...ids,
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (d: string) => (err = (err + d).slice(-4000)));
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = spawnSync(join(bin, 'pg_isready'), ['-h', socketDir, '-p', String(port), '-q'], { timeout: 5000 });
        if (r.status === 0) return;
        if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${err}`);
        if (Date.now() > deadline) throw new Error(`postgres did not start within 30 s: ${err}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((res) => c.once('exit', () => res()));
      c.kill('SIGINT'); // fast shutdown
      await Promise.race([exited, new Promise((res) => setTimeout(res, 20_000))]);
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
      }
    },
    async destroy() {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await pg.start();
    pg.psql('CREATE DATABASE sshwarden');
  } catch (e) {
    await pg.destroy();
    throw e;
  }
  return pg;
}
