/**
 * The guard's configuration: YAML, validated with zod, every error named as `file:line: key: problem`
 * (the line comes from the YAML node of the offending key). Defaults are chosen so a cautious
 * admin can run with an empty file; README "## guard" explains why each one is what it is.
 */
import { readFileSync } from 'node:fs';
import { describeFsError } from '../sources/byte-sources.ts';
import { readFileBounded, TooLargeError } from '../sources/bounded-read.ts';
import { parseDocument, LineCounter, isMap, isSeq, isPair, isScalar, type Document } from 'yaml';
import * as z from 'zod';
import { parseCidr } from '../net/address.ts';
import { banDurationProblem, parseDuration } from './duration.ts';
import { isValidTimeZone } from '../framing/index.ts';
import { fleetUrlProblem, SERVER_NAME } from '../fleet/connect.ts';
import { ConfigError } from './config-default.ts';

/** A duration between `min` and `max` ms (every duration is bounded: 1e300 or -5 never reach the daemon). */
function boundedDuration(min: number, max: number, hint: string) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${ms === null ? 'not a duration' : 'out of range'} (${hint}): ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });
}
const duration = boundedDuration(0, 3650 * 86_400_000, 'e.g. 90s, 10m, 1h, 7d; at most 3650d');
/** Ban lengths: what nftables accepts as an element timeout, bounded by MAX_BAN_MS (365d). */
const banDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  const problem = banDurationProblem(ms);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `${problem}: ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms!;
});

const weight = z.number().min(0).max(1000);

/** Per-outcome weights (see vocabulary.ts), plus per-attempt authentication failures. */
const Weights = z.strictObject({
  auth_failure: weight.default(6), // each failed password / keyboard-interactive attempt for an existing user
  invalid_user: weight.default(6), // each "Invalid user" line: a user name that does not exist (dictionary attacks; also a typo)
  auth_failed: weight.default(6), // a connection that tried to authenticate and gave up, when no failed attempt was logged for it
  non_ssh: weight.default(10), // HTTP, TLS or other junk on the SSH port
  protocol_mismatch: weight.default(10),
  closed_before_ident: weight.default(3), // connect-and-close: cheap for a scanner, also what broken health checks do
  reset_before_ident: weight.default(3),
  closed_after_ident: weight.default(3), // banner grab / key scan
  kex_failed: weight.default(3), // no common algorithm: often an old legitimate client, so light
  timeout: weight.default(5), // held a LoginGraceTime slot
  dropped: weight.default(1), // refused by MaxStartups: the server's own defence already acted; may be a legit burst
  unknown: weight.default(0),
  authenticated: weight.default(0),
});
export type Weights = z.infer<typeof Weights>;

const cidrOrHost = z.string().refine((s) => parseCidr(s) !== null || isHostName(s), {
  message: 'not a CIDR, address or host name',
});

function isHostName(s: string): boolean {
  return /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(s) && !/^[\d.]+$/.test(s);
}

const FORMATS = [
  'auto', 'syslog', 'syslog-iso', 'rfc5424', 'journal-short', 'journal-short-iso', 'journal-short-precise',
  'journal-short-full', 'journal-cat', 'journal-json', 'journal-json-seq', 'sshd-stderr',
] as const;

const Config = z.strictObject({
  log: z
    .strictObject({
      /** `journal` follows journald; `files` follows the listed files; `auto`: journal when no file exists. */
      source: z.enum(['auto', 'journal', 'files']).default('auto'),
      files: z.array(z.string().min(1)).default(['/var/log/auth.log', '/var/log/secure']),
      format: z.enum(FORMATS).default('auto'),
      /** Follow a log path that is (or becomes) a symbolic link; default: only a regular file at the path is read. */
      follow_symlinks: z.boolean().default(false),
      journal_units: z.array(z.string().min(1)).default(['ssh.service', 'sshd.service']),
      /** IANA zone for zone-less syslog timestamps; default: the machine's zone. */
      timezone: z.string().refine((tz) => isValidTimeZone(tz), { message: 'not an IANA time zone (e.g. UTC, Europe/Berlin)' }).optional(),
    })
    .prefault({}),
  policy: z
    .strictObject({
      threshold: z.number().positive().max(1e6).default(30),
      window: boundedDuration(1000, 30 * 86_400_000, '1s to 30d').prefault('10m'),
      weights: Weights.prefault({}),
    })
    .prefault({}),
  ban: z
    .strictObject({
      duration: banDuration.prefault('10m'),
      escalation: z.number().min(1).max(100).default(4),
      max_duration: banDuration.prefault('7d'),
      /** How long past bans count as "repeat offences" for escalation. */
      remember: duration.prefault('30d'),
    })
    .prefault({}),
  aggregate: z
    .strictObject({
      ipv6_prefix: z.number().int().min(16).max(128).default(64),
      /** Ban the whole IPv4 /`ipv4_prefix` once this many of its addresses are banned; 0 = never. */
      ipv4_subnet_after: z.number().int().min(0).max(256).default(0),
      ipv4_prefix: z.number().int().min(8).max(32).default(24),
    })
    .prefault({}),
  never_ban: z
    .strictObject({
      allow: z.array(cidrOrHost).default([]),
      /** Re-resolve host names in `allow` this often. */
      refresh: boundedDuration(10_000, 7 * 86_400_000, '10s to 7d').prefault('1h'),
      /** A source that logged in successfully is never banned for this long after its last login; 0 = off. */
      authenticated_for: duration.prefault('30d'),
    })
    .prefault({}),
  firewall: z
    .strictObject({
      backend: z.enum(['nftables', 'ipset', 'command', 'none']).default('nftables'),
      /** `ssh`: drop only the sshd ports below; `all`: drop every packet from a banned source. */
      scope: z.enum(['ssh', 'all']).default('ssh'),
      ports: z.array(z.number().int().min(1).max(65535)).min(1).default([22]),
      /** nftables table (family inet) / ipset and iptables chain name prefix. */
      name: z.string().regex(/^[a-z][a-z0-9_]{0,14}$/, 'lower-case letters, digits, _ (max 15)').default('sshwarden'),
      command: z
        .strictObject({
          ban: z.array(z.string()).min(1),
          unban: z.array(z.string()).min(1),
        })
        .optional(),
      /** Wait between firewall retries: 1 s to 1 h (0 would spin). */
      retry: boundedDuration(1000, 3_600_000, '1s to 1h').prefault('10s'),
    })
    .prefault({}),
  state: z
    .strictObject({
      database: z.string().min(1).default('/var/lib/sshwarden/guard.db'),
      socket: z.string().min(1).default('/run/sshwarden/guard.sock'),
    })
    .prefault({}),
  /** Optional: share bans, logins and scores with other servers through PostgreSQL (README "Fleet"). */
  fleet: z
    .strictObject({
      database: z.string().superRefine((url, ctx) => {
        const p = fleetUrlProblem(url);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      }),
      /** The password's file (first line); else PGPASSFILE or ~/.pgpass. Never in this file. */
      password_file: z.string().min(1).optional(),
      /** This server's name in the fleet; default: the host name. */
      server: z.string().regex(SERVER_NAME, 'lower-case letters, digits, . _ - (at most 63)').optional(),
      share: z
        .strictObject({
          /** A ban decided anywhere applies here. */
          bans: z.boolean().default(true),
          /** A source that logged in anywhere is never banned here. */
          logins: z.boolean().default(true),
        })
        .prefault({}),
      /** Fleet-wide score (the sum of a source's local scores across servers within `window`) that bans it everywhere. */
      threshold: z.number().positive().max(1e6).default(60),
      window: duration.prefault('1h'),
      /** How long a fleet-rule ban lasts. */
      ban_duration: duration.prefault('1h'),
    })
    .optional(),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      listen: z
        .string()
        .regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'host:port')
        .refine((s) => {
          const port = Number(s.slice(s.lastIndexOf(':') + 1));
          return port >= 1 && port <= 65535;
        }, 'port out of range (1-65535)')
        .default('127.0.0.1:9687'),
    })
    .prefault({}),
});
export type GuardConfig = z.infer<typeof Config>;

export { DEFAULT_CONFIG } from './config-default.ts';
export { ConfigError };

/** A guard config is a few KB; anything past this is not one (and is not read further). */
const MAX_CONFIG_BYTES = 1 << 20;
/** YAML aliases expanded at most this many times (a "billion laughs" document is refused, not expanded). */
const MAX_ALIASES = 100;

/** Reads and validates a config file. A missing file is an error unless `optional`, then defaults apply. */
export function loadConfig(file: string, opts: { optional?: boolean } = {}): GuardConfig {
  let text: string;
  try {
    text = readFileBounded(file, MAX_CONFIG_BYTES).toString('utf8');
  } catch (e) {
    if (e instanceof TooLargeError) throw new ConfigError(file, `${file}: ${e.message}: not a guard config`);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' && opts.optional) return parseConfig('', file);
    throw new ConfigError(file, `${file}: cannot read: ${describeFsError(err)}`);
  }
  return parseConfig(text, file);
}

/** Validates config text; throws ConfigError with one `file:line: key: message` line per problem. */
export function parseConfig(text: string, file: string): GuardConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${file}:${lc.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`);
    throw new ConfigError(file, lines.join('\n'));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES }) ?? {};
  } catch (e) {
    const msg = (e as Error).message;
    throw new ConfigError(file, `${file}:1: ${/alias/i.test(msg) ? `too many YAML alias expansions (more than ${MAX_ALIASES}): refused (a YAML bomb?)` : msg.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, `${file}:1: the config must be a mapping of sections (log, policy, ban, ...)`);
  const res = Config.safeParse(raw);
  if (res.success) {
    checkCrossFields(res.data, doc, lc, file);
    return res.data;
  }
  const lines = res.error.issues.map((iss) => {
    let path = iss.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    let message = iss.message;
    if (iss.code === 'unrecognized_keys') {
      path = [...path, iss.keys[0]];
      message = `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    }
    return `${file}:${lineOf(doc, lc, path)}: ${keyPath(path)}: ${message}`;
  });
  throw new ConfigError(file, lines.join('\n'));
}

function checkCrossFields(cfg: GuardConfig, doc: Document, lc: LineCounter, file: string): void {
  if (cfg.firewall.backend === 'command' && !cfg.firewall.command) {
    throw new ConfigError(file, `${file}:${lineOf(doc, lc, ['firewall', 'backend'])}: firewall.command: required when backend is "command" (ban: [...], unban: [...])`);
  }
  if (cfg.ban.max_duration < cfg.ban.duration) {
    throw new ConfigError(file, `${file}:${lineOf(doc, lc, ['ban', 'max_duration'])}: ban.max_duration: shorter than ban.duration`);
  }
}

/** 1-based line of the YAML key at `path` (or of the deepest existing parent). */
function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | string {
  let node: unknown = doc.contents;
  let offset: number | undefined = (doc.contents as { range?: [number] } | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: [number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? 1 : lc.linePos(offset).line;
}

function keyPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top)';
}
