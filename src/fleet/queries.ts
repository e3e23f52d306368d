/** Read-only views of the fleet for `sshwarden fleet status` and `fleet why` (parameterised SQL only). */
import type { Client } from 'pg';

export interface ServerRow {
  name: string;
  lastSeen: string | null;
  secondsSinceSeen: number | null;
  lastSeq: number;
  lag: number;
  version: string | null;
  bans24h: number;
}

export interface FleetOverview {
  maxSeq: number;
  servers: ServerRow[];
  activeBans: { target: string; server: string; until: string; reason: string }[];
}

export async function fleetOverview(client: Client): Promise<FleetOverview> {
  const maxSeq = Number((await client.query<{ m: string | null }>('SELECT max(seq) AS m FROM sshwarden.decisions')).rows[0].m ?? 0);
  const servers = await client.query<{ name: string; last_seen: Date | null; ago: number | null; last_seq: string; version: string | null; bans: string }>(
    `SELECT s.name, s.last_seen, extract(epoch FROM now() - s.last_seen)::float8 AS ago, s.last_seq, s.version,
            (SELECT count(*) FROM sshwarden.decisions d WHERE d.server = s.name AND d.kind = 'ban' AND d.created > now() - interval '24 hours') AS bans
       FROM sshwarden.servers s ORDER BY s.name`,
  );
  const bans = await client.query<{ target: string; server: string; until: Date; reason: string }>(
    `SELECT DISTINCT ON (target) text(target) AS target, server, until, reason FROM sshwarden.decisions
      WHERE kind = 'ban' AND until > now() ORDER BY target, until DESC LIMIT 1000`,
  );
  return {
    maxSeq,
    servers: servers.rows.map((r) => ({
      name: r.name,
      lastSeen: r.last_seen?.toISOString() ?? null,
      secondsSinceSeen: r.ago === null ? null : Math.round(r.ago),
      lastSeq: Number(r.last_seq),
      lag: r.name === 'fleet' ? 0 : Math.max(0, maxSeq - Number(r.last_seq)),
      version: r.version,
      bans24h: Number(r.bans),
    })),
    activeBans: bans.rows.map((r) => ({ target: hostText(r.target), server: r.server, until: r.until.toISOString(), reason: r.reason })),
  };
}

export interface WhyView {
  address: string;
  servers: {
    server: string;
    score: number;
    events: number;
    firstScored: string | null;
    lastScored: string | null;
    decisions: { seq: number; kind: string; target: string; created: string; until: string | null; reason: string; active: boolean }[];
  }[];
}

/** Every server's view of `address` (scores in the last `hours`, and every decision that names it or a network holding it). */
export async function whyAddress(client: Client, address: string, hours = 24): Promise<WhyView> {
  const scores = await client.query<{ server: string; score: number; events: string; first: Date | null; last: Date | null }>(
    `SELECT server, sum(score)::float8 AS score, sum(events) AS events,
            to_timestamp(min(bucket) * sshwarden.setting('bucket_seconds')) AS first, to_timestamp((max(bucket) + 1) * sshwarden.setting('bucket_seconds')) AS last
       FROM sshwarden.scores
      WHERE source >>= $1::inet AND bucket >= floor(extract(epoch FROM now() - make_interval(hours => $2)) / sshwarden.setting('bucket_seconds'))
      GROUP BY server`,
    [address, hours],
  );
  const decisions = await client.query<{ seq: string; server: string; kind: string; target: string; created: Date; until: Date | null; reason: string; active: boolean }>(
    `SELECT seq, server, kind, text(target) AS target, created, until, reason, (until IS NULL OR until > now()) AS active
       FROM sshwarden.decisions WHERE target >>= $1::inet ORDER BY seq LIMIT 500`,
    [address],
  );
  const names = (await client.query<{ name: string }>('SELECT name FROM sshwarden.servers ORDER BY name')).rows.map((r) => r.name);
  return {
    address,
    servers: names
      .map((server) => {
        const s = scores.rows.find((r) => r.server === server);
        return {
          server,
          score: s ? Math.round(s.score * 10) / 10 : 0,
          events: s ? Number(s.events) : 0,
          firstScored: s?.first?.toISOString() ?? null,
          lastScored: s?.last?.toISOString() ?? null,
          decisions: decisions.rows
            .filter((d) => d.server === server)
            .map((d) => ({ seq: Number(d.seq), kind: d.kind, target: hostText(d.target), created: d.created.toISOString(), until: d.until?.toISOString() ?? null, reason: d.reason, active: d.active })),
        };
      })
      .filter((s) => s.events > 0 || s.decisions.length > 0),
  };
}

/** `198.51.100.7/32` → `198.51.100.7` (PostgreSQL's text() of a host cidr keeps the mask). */
export function hostText(t: string): string {
  return t.replace(/\/(32|128)$/, '');
}
