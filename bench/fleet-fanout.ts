/**
 * Fleet fan-out benchmark on a real PostgreSQL (Debian's, started here in a temporary directory):
 * N simulated servers with their own roles sharing this process, one of them publishing bans at a
 * set rate. Measures decisions ingested per second and the fan-out latency: from `publish()` on the
 * deciding server to `apply()` on every other server (what the guard then hands to nftables, which
 * the e2e test measures separately: ~0.3 s to the nft set in the lab), and that every other server
 * applied every ban exactly once, in seq order.
 *
 * Two modes, the guard's own code in both:
 *   site  (default) one `FleetSite` (src/fleet/site.ts): one LISTEN + catch-up connection for all N
 *         servers (as the read-only role sshwarden-report), publishing through a pool of 4 connections,
 *         each as the publishing server's role;
 *   links one `FleetLink` per server, each with its own connection (what a guard on its own does).
 *
 *   sudo ./bench/fleet-fanout.sh [servers=10,100,1000] [decisions=1000] [rates=100,1000] [mode=site]
 *
 * Needs root (PostgreSQL runs as the postgres user) and the postgresql package.
 */
import pg from 'pg';
import { writeFileSync } from 'node:fs';
import { startPostgres } from '../test/lab/postgres.ts';
import { FleetLink, type FleetDecision, type FleetSink } from '../src/fleet/link.ts';
import { FleetSite } from '../src/fleet/site.ts';
import { clientConfig } from '../src/fleet/connect.ts';
import { migrate, registerReader, registerServer, READER_ROLE } from '../src/fleet/migrate.ts';

const SIZES = (process.argv[2] ?? '10,100,1000').split(',').map(Number);
const DECISIONS = Number(process.argv[3] ?? 1000);
const RATES = (process.argv[4] ?? '100,1000').split(',').map(Number);
const MODE = process.argv[5] ?? 'site';
if (MODE !== 'site' && MODE !== 'links') throw new Error(`mode: site or links, not ${MODE}`);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const db = await startPostgres({ maxConnections: MODE === 'links' ? Math.max(...SIZES) + 50 : 100 });
try {
  const admin = new pg.Client(clientConfig({ url: db.url('postgres') }));
  admin.password = db.superPassword;
  admin.on('error', () => {}); // the server going away at the end is not news
  await admin.connect();
  await migrate(admin);
  await admin.query(`UPDATE sshwarden.settings SET value = '100000000' WHERE key = 'max_bans_per_minute'`);
  const password = 'bench-password';
  const max = Math.max(...SIZES);
  for (let i = 0; i < max; i++) await registerServer(admin, `s${i}`, password);
  await registerReader(admin, password);
  const pwfile = `${db.dir}/bench.password`;
  writeFileSync(pwfile, `${password}\n`);
  console.log(`PostgreSQL ${(await admin.query('SHOW server_version')).rows[0].server_version}, ${max} server roles; ${DECISIONS} bans per run; mode ${MODE}`);
  console.log('| servers | rate (bans/s) | ingested (bans/s) | fan-out p50 | p99 | max | applies (exactly once, in order) |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  let ipBase = 0;
  for (const n of SIZES) {
    for (const rate of RATES) {
      const sent = new Map<number, number>(); // ban index → publish time
      const latencies: number[] = [];
      let applies = 0;
      let disorder = 0;
      const startSeq = Number((await admin.query('SELECT coalesce(max(seq), 0) AS m FROM sshwarden.decisions')).rows[0].m);
      let connected = 0;
      const seen: Set<number>[] = [];
      const sink = (i: number): FleetSink => {
        let cursor = startSeq;
        let last = startSeq;
        seen[i] = new Set();
        return {
          apply: (d: FleetDecision) => {
            const t = sent.get(Number(d.reason));
            if (t !== undefined) latencies.push(performance.now() - t);
            if (d.seq <= last || seen[i].has(d.seq)) disorder++;
            seen[i].add(d.seq);
            last = d.seq;
            applies++;
          },
          cursor: () => cursor,
          saveCursor: (s) => (cursor = s),
          backlog: () => [],
          log: (level, msg, fields) => {
            if (msg === 'fleet connected') connected++;
            else if (level !== 'info') console.error(`s${i}: ${msg} ${JSON.stringify(fields)}`);
          },
        };
      };
      const opts = (i: number) => ({ database: { url: db.url(`sshwarden_s${i}`), passwordFile: pwfile }, server: `s${i}`, threshold: 60, windowMs: 3_600_000, banMs: 3_600_000, version: 'bench' });
      const members: { publish: FleetLink['publish']; stop(): Promise<void> }[] = [];
      let site: FleetSite | null = null;
      if (MODE === 'site') {
        site = new FleetSite({ listener: { url: db.url(READER_ROLE), passwordFile: pwfile }, poolSize: 4, log: (level, msg, fields) => level !== 'info' && console.error(`site: ${msg} ${JSON.stringify(fields)}`) });
        for (let i = 0; i < n; i++) members.push(site.join(opts(i), sink(i)));
        site.start();
      } else {
        for (let i = 0; i < n; i++) {
          const link = new FleetLink(opts(i), sink(i));
          members.push(link);
          link.start();
        }
      }
      for (let t = 0; connected < n && t < 600; t++) await new Promise((r) => setTimeout(r, 100));
      if (connected < n) throw new Error(`only ${connected} of ${n} connected`);
      const t0 = performance.now();
      for (let k = 0; k < DECISIONS; k++) {
        const target = `2001:db8::${(ipBase + k + 1).toString(16)}`; // data only: nothing is sent anywhere
        sent.set(k, performance.now());
        members[0].publish({ kind: 'ban', target, seconds: 3600, reason: String(k), evidence: [], originId: `bench:${n}:${rate}:${k}` });
        const due = t0 + ((k + 1) * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      const expected = DECISIONS * (n - 1);
      for (let t = 0; applies < expected && t < 1200; t++) await new Promise((r) => setTimeout(r, 50));
      // Ingest: rows over the span of their commit times by the database's clock (created = transaction start).
      const ing = (await admin.query<{ c: string; span: number }>('SELECT count(*) AS c, extract(epoch FROM max(created) - min(created))::float8 AS span FROM sshwarden.decisions WHERE seq > $1', [startSeq])).rows[0];
      const ingested = Number(ing.c) / Math.max(ing.span, 1 / rate);
      const once = seen.slice(1).every((s) => s.size === DECISIONS) && disorder === 0;
      console.log(
        `| ${n} | ${rate} | ${Math.round(ingested)} | ${pct(latencies, 50).toFixed(0)} ms | ${pct(latencies, 99).toFixed(0)} ms | ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms | ${applies}/${expected}${once ? '' : ` (NOT exactly once: ${disorder} out of order or repeated)`} |`,
      );
      for (const m of members) await m.stop();
      await site?.stop();
      await admin.query('DELETE FROM sshwarden.decisions');
      ipBase += DECISIONS;
    }
  }
  await admin.end();
} finally {
  await db.destroy();
}
