/**
 * What `sshwarden report --fleet` shows, read from the fleet's PostgreSQL (parameterised SQL,
 * SELECT only: the read-only role sshwarden-report, a member of sshwarden_reader, is enough).
 * Everything is over the last `hours` by the database's clock; the page (src/report/page/fleet.js)
 * draws it as it is, so the numbers on the page are these numbers.
 *
 * A ban's origin: `fleet` (the fleet rule, server 'fleet'), `operator` (an operator's
 * `sshwarden ban` on that server: origin id `manual:…`), else `local` (that server's guard).
 */
import type { Client } from 'pg';
import { hostText } from './queries.ts';

export type BanOrigin = 'local' | 'fleet' | 'operator';

export interface FleetReportServer {
  name: string;
  lastSeen: string | null;
  /** Decisions this server has not applied yet (max seq − its last applied seq). */
  lag: number;
  version: string | null;
  /** Bans this server published in the window, by origin (local or operator). */
  bans: { local: number; operator: number };
  logins: number;
  /** Score summaries this server sent in the window: summed score, events, distinct sources. */
  score: number;
  events: number;
  sources: number;
}

export interface FleetReportData {
  kind: 'fleet';
  meta: { generated: number; command: string; database: string; hours: number; from: number; to: number; maxSeq: number; role: string };
  totals: { servers: number; bans: number; logins: number; activeBans: number; sources: number; events: number; score: number };
  /** Bans decided in the window by origin. */
  origins: Record<BanOrigin, number>;
  servers: FleetReportServer[];
  /** Fleet-wide top sources by summed score (at most 100). */
  topSources: { source: string; score: number; events: number; servers: number; bans: number; activeBan: boolean }[];
  /** Which servers refused whom: per server its top sources by score (at most 20 per server, 500 servers). */
  refusals: { server: string; source: string; score: number; events: number; banned: boolean }[];
  /** Per step: bans by origin, logins, and scored events. */
  timeline: { step: number; t: number[]; local: number[]; fleet: number[]; operator: number[]; logins: number[]; events: number[] };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const ORIGIN = `CASE WHEN d.server = 'fleet' THEN 'fleet' WHEN d.origin_id LIKE 'manual:%' THEN 'operator' ELSE 'local' END`;

/** The timeline's step for a window of `hours`. */
export function timelineStep(hours: number): number {
  return hours <= 6 ? 300 : hours <= 24 * 14 ? 3600 : 86400;
}

export async function fleetReportData(client: Client, opts: { hours: number; command: string; database: string }): Promise<FleetReportData> {
  const { hours } = opts;
  const step = timelineStep(hours);
  const clock = (
    await client.query<{ now: number; bs: string; role: string }>(`SELECT extract(epoch FROM now())::float8 AS now, sshwarden.setting('bucket_seconds') AS bs, current_user AS role`)
  ).rows[0];
  const to = Math.floor(clock.now);
  const from = to - hours * 3600;
  const bs = Number(clock.bs);
  const firstBucket = Math.floor(from / bs);
  const maxSeq = Number((await client.query<{ m: string | null }>('SELECT max(seq) AS m FROM sshwarden.decisions')).rows[0].m ?? 0);

  const servers = await client.query<{ name: string; last_seen: Date | null; last_seq: string; version: string | null }>(
    `SELECT name, last_seen, last_seq, version FROM sshwarden.servers WHERE name <> 'fleet' ORDER BY name`,
  );
  const decided = await client.query<{ server: string; origin: BanOrigin; kind: string; n: string }>(
    `SELECT d.server, ${ORIGIN} AS origin, d.kind, count(*) AS n FROM sshwarden.decisions d
      WHERE d.created >= to_timestamp($1) AND d.kind IN ('ban', 'login') GROUP BY 1, 2, 3`,
    [from],
  );
  const scored = await client.query<{ server: string; score: number; events: string; sources: string }>(
    `SELECT server, sum(score)::float8 AS score, sum(events) AS events, count(DISTINCT source) AS sources
       FROM sshwarden.scores WHERE bucket >= $1 GROUP BY server`,
    [firstBucket],
  );
  const overall = (
    await client.query<{ score: number | null; events: string | null; sources: string }>(
      `SELECT sum(score)::float8 AS score, sum(events) AS events, count(DISTINCT source) AS sources FROM sshwarden.scores WHERE bucket >= $1`,
      [firstBucket],
    )
  ).rows[0];
  const activeBans = Number((await client.query<{ n: string }>(`SELECT count(DISTINCT target) AS n FROM sshwarden.decisions WHERE kind = 'ban' AND until > now()`)).rows[0].n);

  const top = await client.query<{ source: string; score: number; events: string; servers: string; bans: string; active: boolean }>(
    `WITH s AS (SELECT source, sum(score)::float8 AS score, sum(events) AS events, count(DISTINCT server) AS servers
                  FROM sshwarden.scores WHERE bucket >= $1 GROUP BY source ORDER BY score DESC, source LIMIT 100)
     SELECT text(s.source) AS source, s.score, s.events, s.servers,
            (SELECT count(*) FROM sshwarden.decisions d WHERE d.kind = 'ban' AND d.target >>= s.source AND d.created >= to_timestamp($2)) AS bans,
            EXISTS (SELECT 1 FROM sshwarden.decisions d WHERE d.kind = 'ban' AND d.target >>= s.source AND d.until > now()) AS active
       FROM s ORDER BY s.score DESC, s.source`,
    [firstBucket, from],
  );
  const refusals = await client.query<{ server: string; source: string; score: number; events: string; banned: boolean }>(
    `WITH s AS (SELECT server, source, sum(score)::float8 AS score, sum(events) AS events,
                       row_number() OVER (PARTITION BY server ORDER BY sum(score) DESC, source) AS r
                  FROM sshwarden.scores WHERE bucket >= $1 GROUP BY server, source)
     SELECT s.server, text(s.source) AS source, s.score, s.events,
            EXISTS (SELECT 1 FROM sshwarden.decisions d WHERE d.kind = 'ban' AND d.server = s.server AND d.target >>= s.source AND d.created >= to_timestamp($2)) AS banned
       FROM s WHERE s.r <= 20 AND s.server IN (SELECT name FROM sshwarden.servers ORDER BY name LIMIT 500)
      ORDER BY s.server, s.score DESC, s.source`,
    [firstBucket, from],
  );

  // The timeline: every step from `from` to `to`, zeros where nothing happened.
  const first = Math.floor(from / step) * step;
  const n = Math.floor((to - first) / step) + 1;
  const tl = { step, t: Array.from({ length: n }, (_, i) => first + i * step), local: new Array<number>(n).fill(0), fleet: new Array<number>(n).fill(0), operator: new Array<number>(n).fill(0), logins: new Array<number>(n).fill(0), events: new Array<number>(n).fill(0) };
  const dsteps = await client.query<{ k: string; origin: BanOrigin; kind: string; n: string }>(
    `SELECT floor(extract(epoch FROM d.created)::float8 / $2::float8)::bigint AS k, ${ORIGIN} AS origin, d.kind, count(*) AS n
       FROM sshwarden.decisions d WHERE d.created >= to_timestamp($1) AND d.kind IN ('ban', 'login') GROUP BY 1, 2, 3`,
    [from, step],
  );
  for (const r of dsteps.rows) {
    const i = Number(r.k) - first / step;
    if (i < 0 || i >= n) continue;
    if (r.kind === 'login') tl.logins[i] += Number(r.n);
    else tl[r.origin][i] += Number(r.n);
  }
  const esteps = await client.query<{ k: string; events: string }>(
    `SELECT floor(bucket * $2::float8 / $3::float8)::bigint AS k, sum(events) AS events FROM sshwarden.scores WHERE bucket >= $1 GROUP BY 1`,
    [firstBucket, bs, step],
  );
  for (const r of esteps.rows) {
    const i = Number(r.k) - first / step;
    if (i >= 0 && i < n) tl.events[i] += Number(r.events);
  }

  const origins: Record<BanOrigin, number> = { local: 0, fleet: 0, operator: 0 };
  let logins = 0;
  for (const r of decided.rows) {
    if (r.kind === 'login') logins += Number(r.n);
    else origins[r.origin] += Number(r.n);
  }
  return {
    kind: 'fleet',
    meta: { generated: to, command: opts.command, database: opts.database, hours, from, to, maxSeq, role: clock.role },
    totals: {
      servers: servers.rows.length,
      bans: origins.local + origins.fleet + origins.operator,
      logins,
      activeBans,
      sources: Number(overall.sources),
      events: Number(overall.events ?? 0),
      score: round1(overall.score ?? 0),
    },
    origins,
    servers: servers.rows.map((s) => {
      const mine = decided.rows.filter((r) => r.server === s.name);
      const count = (kind: string, origin?: BanOrigin) => mine.filter((r) => r.kind === kind && (origin === undefined || r.origin === origin)).reduce((a, r) => a + Number(r.n), 0);
      const sc = scored.rows.find((r) => r.server === s.name);
      return {
        name: s.name,
        lastSeen: s.last_seen?.toISOString() ?? null,
        lag: Math.max(0, maxSeq - Number(s.last_seq)),
        version: s.version,
        bans: { local: count('ban', 'local'), operator: count('ban', 'operator') },
        logins: count('login'),
        score: round1(sc?.score ?? 0),
        events: Number(sc?.events ?? 0),
        sources: Number(sc?.sources ?? 0),
      };
    }),
    topSources: top.rows.map((r) => ({ source: hostText(r.source), score: round1(r.score), events: Number(r.events), servers: Number(r.servers), bans: Number(r.bans), activeBan: r.active })),
    refusals: refusals.rows.map((r) => ({ server: r.server, source: hostText(r.source), score: round1(r.score), events: Number(r.events), banned: r.banned })),
    timeline: tl,
  };
}
