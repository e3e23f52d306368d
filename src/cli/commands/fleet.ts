import type { Command } from '@commander-js/extra-typings';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { colors } from '../terminal.ts';
import { UserError } from '../user-error.ts';
import { EXIT } from '../exit-codes.ts';
import { readConfigOrFail } from '../guard-client.ts';
import { parseDuration } from '../../guard/duration.ts';
import { clientConfig, redact, SERVER_NAME, type FleetDatabase } from '../../fleet/connect.ts';

/** Connects (one line on failure), runs `fn`, always closes. */
export async function withClient<T>(db: FleetDatabase, fn: (c: import('pg').Client) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  let cfg;
  try {
    cfg = clientConfig(db, { applicationName: 'sshwarden fleet' });
  } catch (e) {
    throw new UserError((e as Error).message, EXIT.USAGE);
  }
  const client = new pg.Client(cfg);
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new UserError(`fleet database ${redact(db.url)}: cannot connect: ${(e as Error).message}`, EXIT.RUNTIME);
  }
  try {
    return await fn(client);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`fleet database ${redact(db.url)}: ${(e as Error).message}`, EXIT.RUNTIME);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The database to use: --database, else the guard config's fleet section. */
export function databaseFrom(opts: { database?: string; passwordFile?: string; config?: string }): FleetDatabase {
  if (opts.database) return { url: opts.database, passwordFile: opts.passwordFile };
  const { path, config } = readConfigOrFail(opts.config);
  if (!config.fleet) throw new UserError(`${path}: no fleet section; give --database URL`, EXIT.USAGE);
  return { url: config.fleet.database, passwordFile: opts.passwordFile ?? config.fleet.password_file };
}

function ago(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('Many servers, one memory: share bans, logins and scores between guards through PostgreSQL.')
    .addHelpText('after', `
Examples:
  sshwarden fleet init postgres://admin@db.example.org/sshwarden --server web-17 --server web-18
  sshwarden fleet status
  sshwarden fleet why 198.51.100.7
  sshwarden fleet prune postgres://admin@db.example.org/sshwarden --older-than 30d`);

  fleet
    .command('init')
    .description('Create or migrate the fleet schema (versioned migrations) and register servers, each with its own role.')
    .argument('<url>', 'postgres:// URL of a role that may create schemas and roles (password: PGPASSWORD, PGPASSFILE or ~/.pgpass)')
    .option('--server <name>', 'register a server (repeatable); its role may only publish in its own name', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--password-dir <dir>', "where each server's password file goes (NAME.password, mode 0600; an existing file's password is kept)", '.')
    .option('--reader', 'also create the read-only reporting role sshwarden-report (password in report.password) for `report --fleet`')
    .option('--json', 'machine-readable output')
    .action(async (url, opts) => {
      for (const s of opts.server) if (!SERVER_NAME.test(s) || s === 'fleet') throw new UserError(`--server: not a server name (lower-case letters, digits, . _ -; "fleet" is reserved): ${JSON.stringify(s)}`);
      const { migrate, registerReader, registerServer } = await import('../../fleet/migrate.ts');
      const result = await withClient({ url }, async (client) => {
        const m = await migrate(client);
        const servers = [];
        for (const name of opts.server) {
          const { file, password } = passwordFile(opts.passwordDir, name);
          const r = await registerServer(client, name, password);
          servers.push({ server: name, role: r.role, created: r.created, passwordFile: file });
        }
        let reader = null;
        if (opts.reader) {
          const { file, password } = passwordFile(opts.passwordDir, 'report');
          const r = await registerReader(client, password);
          reader = { role: r.role, created: r.created, passwordFile: file };
        }
        return { schema: m, servers, reader };
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const out = [`fleet schema: version ${result.schema.from} → ${result.schema.to}${result.schema.from === result.schema.to ? ' (up to date)' : ''}`];
      for (const s of result.servers) {
        out.push(`server ${colors.bold(s.server)}: role ${s.role}${s.created ? ' created' : ' updated'}; password in ${s.passwordFile}`);
        out.push(`  on ${s.server}: install -m 600 ${s.passwordFile} /etc/sshwarden/fleet.password, then in /etc/sshwarden/config.yaml:`);
        out.push(`    fleet:\n      database: ${serverUrl(url, s.role)}\n      password_file: /etc/sshwarden/fleet.password\n      server: ${s.server}`);
      }
      if (result.reader) {
        out.push(`reporting role ${colors.bold(result.reader.role)}${result.reader.created ? ' created' : ' updated'} (read-only); password in ${result.reader.passwordFile}`);
        out.push(`  sshwarden report --fleet ${serverUrl(url, result.reader.role)} --password-file ${result.reader.passwordFile} -o fleet.html`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });

  fleet
    .command('prune')
    .description('Retention: delete score summaries and decisions older than --older-than that no longer decide anything (bans in force, logins that still protect, allow entries stay).')
    .argument('<url>', 'postgres:// URL of the role that ran `fleet init` (password: PGPASSWORD, PGPASSFILE or ~/.pgpass)')
    .option('--older-than <duration>', 'how much history to keep, e.g. 30d, 12w (at least 1h)', '30d')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  sshwarden fleet prune postgres://admin@db.example.org/sshwarden --older-than 30d
  # daily, from cron or a systemd timer on the database host:
  0 4 * * * sshwarden fleet prune postgres://admin@localhost/sshwarden --older-than 30d`)
    .action(async (url, opts) => {
      const ms = parseDuration(opts.olderThan);
      if (ms === null || ms < 3_600_000) throw new UserError(`--older-than: a duration of at least 1h (e.g. 30d): ${JSON.stringify(opts.olderThan)}`);
      const { prune, schemaProblem, schemaVersion } = await import('../../fleet/migrate.ts');
      const r = await withClient({ url }, async (client) => {
        const problem = schemaProblem(await schemaVersion(client));
        if (problem) throw new UserError(problem, EXIT.RUNTIME);
        return prune(client, ms / 1000);
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ olderThanSeconds: ms / 1000, removed: r }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`removed ${r.scores} score summaries and ${r.decisions} decisions older than ${opts.olderThan}\n`);
    });

  fleet
    .command('status')
    .description('Servers, last heartbeat, how far behind each is, and the bans in force fleet-wide.')
    .option('--database <url>', 'postgres:// URL (default: the guard config\'s fleet.database)')
    .option('--password-file <file>', 'password file (default: fleet.password_file)')
    .option('-c, --config <file>', 'guard config')
    .option('--json', 'machine-readable output')
    .action(async (opts) => {
      const db = databaseFrom(opts);
      const { fleetOverview } = await import('../../fleet/queries.ts');
      const v = await withClient(db, (c) => fleetOverview(c));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
        return;
      }
      const out = [`${v.servers.filter((s) => s.name !== 'fleet').length} servers, last decision #${v.maxSeq}`];
      for (const s of v.servers) {
        if (s.name === 'fleet') continue;
        const late = s.secondsSinceSeen === null || s.secondsSinceSeen > 60;
        out.push(`  ${colors.bold(s.name.padEnd(20))} ${(late ? colors.red : (x: string) => x)(`seen ${ago(s.secondsSinceSeen)}`)}, ${s.lag === 0 ? 'up to date' : `${s.lag} decisions behind`}, ${s.bans24h} bans in 24 h${s.version ? `, ${s.version}` : ''}`);
      }
      out.push(`${v.activeBans.length} bans in force fleet-wide`);
      for (const b of v.activeBans.slice(0, 50)) out.push(`  ${b.target.padEnd(24)} by ${b.server} until ${b.until}  ${colors.dim(b.reason)}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });

  fleet
    .command('why')
    .description("Every server's view of one address: its score, bans, logins, allow entries.")
    .argument('<address>', 'IPv4 or IPv6 address')
    .option('--hours <n>', 'how far back scores go', '24')
    .option('--database <url>', "postgres:// URL (default: the guard config's fleet.database)")
    .option('--password-file <file>', 'password file (default: fleet.password_file)')
    .option('-c, --config <file>', 'guard config')
    .option('--json', 'machine-readable output')
    .action(async (address, opts) => {
      if (isIP(address) === 0) throw new UserError(`not an IP address: ${JSON.stringify(address)}`);
      const hours = Number(opts.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) throw new UserError('--hours: a whole number of hours, 1 to 2160');
      const db = databaseFrom(opts);
      const { whyAddress } = await import('../../fleet/queries.ts');
      const v = await withClient(db, (c) => whyAddress(c, address, hours));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
        return;
      }
      const out = [`${address}: seen by ${v.servers.length} server${v.servers.length === 1 ? '' : 's'} of the fleet`];
      for (const s of v.servers) {
        out.push(`  ${colors.bold(s.server)}: ${s.events ? `score ${s.score} from ${s.events} events (${s.firstScored} → ${s.lastScored})` : 'no score'}`);
        for (const d of s.decisions) out.push(`    #${d.seq} ${d.kind} ${d.target} at ${d.created}${d.until ? ` until ${d.until}` : ''}${d.active ? '' : ' (ended)'}  ${colors.dim(d.reason)}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

/** NAME.password in `dir` (mode 0600): an existing file's password is kept, else a new random one. */
function passwordFile(dir: string, name: string): { file: string; password: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${name}.password`);
  let password: string;
  if (existsSync(file)) password = readFileSync(file, 'utf8').split('\n')[0];
  else {
    password = randomBytes(24).toString('base64url');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return { file, password };
}

/** The URL a server uses: the admin URL with the server's role as user (no password). */
function serverUrl(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
}
