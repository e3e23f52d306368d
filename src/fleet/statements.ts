/**
 * The fleet's three round trips, shared by a guard's own link (./link.ts) and a site's shared
 * listener (./site.ts): publish a batch of decisions, publish score summaries (which also runs the
 * fleet rule), and read the decisions after a seq, in seq order. Parameterised SQL only; the
 * server's name comes from the role the connection logged in as (sshwarden.me()).
 */
import type pg from 'pg';
import type { FleetDecision, FleetKind, PublishItem } from './decisions.ts';

/** Publishes `batch` (at most 500; one round trip, publish() per row, in order); returns the refused bans and why. */
export async function publishDecisions(client: pg.Client, batch: readonly PublishItem[]): Promise<{ target: string; reason: string }[]> {
  const rows = batch.map((it) => ({ k: it.kind, t: it.target, s: it.seconds, r: it.reason, e: it.evidence.slice(0, 20), o: it.originId }));
  const r = await client.query<{ i: number; refused: string | null }>(
    `SELECT x.i::int AS i, p.refused FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(v, i),
            LATERAL sshwarden.publish(x.v->>'k', (x.v->>'t')::cidr, (x.v->>'s')::float8, x.v->>'r', x.v->'e', x.v->>'o') p ORDER BY x.i`,
    [JSON.stringify(rows)],
  );
  return r.rows.filter((row) => row.refused).map((row) => ({ target: batch[row.i - 1]?.target ?? '?', reason: row.refused! }));
}

export interface ScoreRule {
  threshold: number;
  windowMs: number;
  banMs: number;
}

/** Adds score summaries (source → summed weight and events) and applies the fleet rule. */
export async function publishScores(client: pg.Client, scores: ReadonlyMap<string, { score: number; events: number }>, rule: ScoreRule): Promise<void> {
  const rows = [...scores].map(([source, s]) => ({ source, score: s.score, events: s.events }));
  await client.query('SELECT sshwarden.publish_scores($1::jsonb, $2, $3, $4)', [
    JSON.stringify(rows),
    rule.threshold,
    Math.max(60, Math.round(rule.windowMs / 1000)),
    Math.max(1, Math.round(rule.banMs / 1000)),
  ]);
}

/** Up to `limit` decisions after seq `after`, in seq order (targets as host addresses when they are one). */
export async function readDecisions(client: pg.Client, after: number, limit: number): Promise<FleetDecision[]> {
  const r = await client.query<{ seq: string; server: string; kind: FleetKind; target: string; remaining_ms: number | null; reason: string }>(
    `SELECT seq, server, kind, CASE WHEN masklen(target) = CASE family(target) WHEN 4 THEN 32 ELSE 128 END THEN host(target) ELSE text(target) END AS target,
            CASE WHEN until IS NULL THEN NULL ELSE greatest(0, extract(epoch FROM until - now()) * 1000)::float8 END AS remaining_ms, reason
       FROM sshwarden.decisions WHERE seq > $1 ORDER BY seq LIMIT $2`,
    [after, limit],
  );
  return r.rows.map((row) => ({ seq: Number(row.seq), server: row.server, kind: row.kind, target: row.target, remainingMs: row.remaining_ms, reason: row.reason }));
}

/** Publishes `queue` in batches of 500 (removing each batch once it is in), logging refused bans; returns how many were published. */
export async function drainQueue(client: pg.Client, queue: PublishItem[], log: (level: 'warn', msg: string, fields: Record<string, unknown>) => void): Promise<number> {
  let n = 0;
  while (queue.length > 0) {
    const batch = queue.slice(0, 500);
    const refused = await publishDecisions(client, batch);
    queue.splice(0, batch.length);
    n += batch.length;
    for (const r of refused) log('warn', 'fleet refused a ban from this server', { target: r.target, reason: r.reason });
  }
  return n;
}

/** Appends `item` to a bounded queue (default 50,000; the oldest is dropped, it is republished from the store on connect); returns how many were dropped. */
export function enqueue(queue: PublishItem[], item: PublishItem, max = 50_000): number {
  let dropped = 0;
  if (queue.length >= max) {
    queue.shift();
    dropped = 1;
  }
  queue.push(item);
  return dropped;
}

/** Adds one event of `weight` to a source's summary (at most 100,000 sources between two sends). */
export function addScore(scores: Map<string, { score: number; events: number }>, source: string, weight: number): void {
  const s = scores.get(source);
  if (s) {
    s.score += weight;
    s.events++;
  } else if (scores.size < 100_000) scores.set(source, { score: weight, events: 1 });
}
