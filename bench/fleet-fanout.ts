/**
 * Fleet fan-out benchmark on a real PostgreSQL (Debian's, started here in a temporary directory):
 * N simulated servers, each a real `FleetLink` with its own connection and role (the guard's own
 * code; they share this process and a firewall-less sink), one of them publishing bans at a set
 * rate. Measures decisions ingested per second and the fan-out latency: from `publish()` on the
 * deciding server to `apply()` on every other server (what the guard then hands to nftables, which
 * the e2e test measures separately: ~0.3 s to the nft set in the lab).
 *
 *   sudo ./bench/fleet-fanout.sh            # or: node bench/fleet-fanout.ts [servers=10,100,1000] [decisions=300] [rate=1000]
 *
 * Needs root (PostgreSQL runs as the postgres user) and the postgresql package.
 */
import pg from 'pg';
import { startPostgres } from '../test/lab/postgres.ts';
import { FleetLink, type FleetDecision } from '../src/fleet/link.ts';
import { clientConfig } from '../src/fleet/connect.ts';
import { migrate, registerServer } from '../src/fleet/migrate.ts';

const SIZES = (process.argv[2] ?? '10,100,1000').split(',').map(Number);
const DECISIONS = Number(process.argv[3] ?? 300);
const RATE = Number(process.argv[4] ?? 1000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const db = await startPostgres({ maxConnections: Math.max(...SIZES) + 50 });
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
  const pwfile = `${db.dir}/bench.password`;
  (await import('node:fs')).writeFileSync(pwfile, `${password}\n`);
  console.log(`PostgreSQL ${(await admin.query('SHOW server_version')).rows[0].server_version}, ${max} server roles; ${DECISIONS} bans per size at up to ${RATE}/s`);
  console.log('| servers | ingest (bans/s) | fan-out p50 | p99 | max | applies |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  let ipBase = 0;
  for (const n of SIZES) {
    const sent = new Map<number, number>(); // ban index → publish time
    const latencies: number[] = [];
    let applies = 0;
    const links: FleetLink[] = [];
    const startSeq = Number((await admin.query('SELECT coalesce(max(seq), 0) AS m FROM sshwarden.decisions')).rows[0].m);
    let connected = 0;
    for (let i = 0; i < n; i++) {
      let cursor = startSeq;
      const link = new FleetLink(
        { database: { url: db.url(`sshwarden_s${i}`), passwordFile: pwfile }, server: `s${i}`, threshold: 60, windowMs: 3_600_000, banMs: 3_600_000, version: 'bench' },
        {
          apply: (d: FleetDecision) => {
            const idx = Number(d.reason);
            const t = sent.get(idx);
            if (t !== undefined) latencies.push(performance.now() - t);
            applies++;
          },
          cursor: () => cursor,
          saveCursor: (s) => (cursor = s),
          backlog: () => [],
          log: (level, msg) => {
            if (msg === 'fleet connected') connected++;
            else if (level !== 'info') console.error(`s${i}: ${msg}`);
          },
        },
      );
      links.push(link);
      link.start();
    }
    for (let t = 0; connected < n && t < 600; t++) await new Promise((r) => setTimeout(r, 100));
    if (connected < n) throw new Error(`only ${connected} of ${n} links connected`);
    const t0 = performance.now();
    for (let k = 0; k < DECISIONS; k++) {
      const target = `2001:db8::${(ipBase + k + 1).toString(16)}`; // data only: nothing is sent anywhere
      sent.set(k, performance.now());
      links[0].publish({ kind: 'ban', target, seconds: 3600, reason: String(k), evidence: [], originId: `bench:${n}:${k}` });
      const due = t0 + ((k + 1) * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    const expected = DECISIONS * (n - 1);
    for (let t = 0; applies < expected && t < 1200; t++) await new Promise((r) => setTimeout(r, 100));
    const elapsed = (performance.now() - t0) / 1000;
    const ingested = Number((await admin.query('SELECT count(*) AS c FROM sshwarden.decisions WHERE seq > $1', [startSeq])).rows[0].c);
    console.log(`| ${n} | ${Math.round(ingested / elapsed)} | ${pct(latencies, 50).toFixed(0)} ms | ${pct(latencies, 99).toFixed(0)} ms | ${Math.max(...latencies).toFixed(0)} ms | ${applies}/${expected} |`);
    for (const l of links) await l.stop();
    await admin.query('DELETE FROM sshwarden.decisions');
    ipBase += DECISIONS;
  }
  await admin.end();
} finally {
  await db.destroy();
}
