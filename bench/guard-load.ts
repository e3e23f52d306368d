/**
 * Load benchmark of `sshwarden guard` (the real CLI, nftables backend, inside a lab namespace):
 *
 *   sudo node bench/guard-load.ts rate [linesPerSec=20000] [seconds=60]
 *     appends Debian-12 rsyslog lines (OpenSSH 9.2, INFO: silent scanners, brute force, logins)
 *     at a fixed rate to a file the guard follows; samples the guard's RSS and its log lag
 *     (now − timestamp of the last line it read, from /metrics) every 5 s. Bounded memory and
 *     no lag growth = pass.
 *   sudo node bench/guard-load.ts sources [count=1000000]
 *     one silent connection from each of `count` distinct sources (IPv6 /64s under 2001:db8::/32:
 *     the guard scores IPv6 by /64), fed as fast as the guard reads; reports RSS once all are
 *     tracked (goal: < 150 MB): the steady state (all sources held, the guard idle for 8 s; and after 75 s,
 *     past the guard's follow-up release, burst-release.ts) and the peak
 *     while reading, with a breakdown (V8 heap, source table, anonymous and file-backed RSS).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type Host } from '../test/lab/netns.ts';
import { startGuard, type RunningGuard } from '../test/guard/guard-lab.ts';

const mode = process.argv[2] ?? 'rate';
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-bench-load-'));
const log = join(dir, 'auth.log');
writeFileSync(log, '');
const lab = Lab.create('bld');
const h = lab.host('srv', 1);

let current: RunningGuard | null = null;
function rssMb(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    throw new Error(`the guard (pid ${pid}) died: ${current?.stderr().slice(-3000) ?? ''}`);
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

function metric(host: Host, name: string): number {
  const r = host.run('curl', ['-sS', 'http://127.0.0.1:9687/metrics'], { timeoutMs: 5000 });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(r.stdout);
  return m ? Number(m[1]) : NaN;
}

function metricSum(host: Host, name: string): number {
  const r = host.run('curl', ['-sS', 'http://127.0.0.1:9687/metrics'], { timeoutMs: 5000 });
  let s = 0;
  for (const m of r.stdout.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) s += Number(m[1]);
  return s;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');

/** One connection's lines at time `ms` (OpenSSH 9.2, LogLevel INFO, as sshd logs them). */
function connection(kind: number, addr: string, pid: number, port: number, ms: number): { text: string; lines: number } {
  const t = iso(ms);
  switch (kind) {
    case 0: // silent scanner
      return { text: `${t} srv sshd[${pid}]: error: kex_exchange_identification: Connection closed by remote host\n${t} srv sshd[${pid}]: Connection closed by ${addr} port ${port}\n`, lines: 2 };
    case 1: // brute force: 3 passwords on an invalid user, then the client gives up
      return {
        text:
          `${t} srv sshd[${pid}]: Invalid user admin from ${addr} port ${port}\n` +
          `${t} srv sshd[${pid}]: Failed password for invalid user admin from ${addr} port ${port} ssh2\n`.repeat(3) +
          `${t} srv sshd[${pid}]: Connection closed by invalid user admin ${addr} port ${port} [preauth]\n`,
        lines: 5,
      };
    default: // banner grab
      return { text: `${t} srv sshd[${pid}]: Connection closed by ${addr} port ${port} [preauth]\n`, lines: 1 };
  }
}

/** PIDs as the kernel hands them out with pid_max 32768 (they wrap; sshd forks one per connection). */
function pidOf(n: number): number {
  return 300 + (n % 32000);
}

async function startConfiguredGuard(): Promise<RunningGuard> {
  // As in packaging/sshwarden-guard.service: cap V8's old space and keep the young generation small so
  // garbage is collected before RSS balloons, two malloc arenas, and Node's compile cache (no TypeScript
  // stripping at start: ~25 MB less).
  process.env.NODE_OPTIONS = process.env.GUARD_NODE_OPTIONS ?? '--max-old-space-size=384 --max-semi-space-size=4';
  process.env.MALLOC_ARENA_MAX ??= '2';
  process.env.NODE_COMPILE_CACHE ??= fileURLToPath(new URL('../.tools/compile-cache', import.meta.url));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `log:\n  source: files\n  files: [${JSON.stringify(log)}]\n  format: syslog-iso\nstate:\n  database: ${JSON.stringify(join(dir, 'g.db'))}\n  socket: ${JSON.stringify(join(dir, 'g.sock'))}\nmetrics:\n  listen: 127.0.0.1:9687\n`,
  );
  current = await startGuard(h, cfg);
  return current;
}

async function rate(): Promise<void> {
  const perSec = Number(process.argv[3] ?? 20000);
  const seconds = Number(process.argv[4] ?? 60);
  const g = await startConfiguredGuard();
  const pid = g.child.pid!;
  const samples: { t: number; rss: number; heap: number; lag: number; lines: number }[] = [];
  const start = Date.now();
  let pidN = 0;
  let written = 0;
  const tickMs = 10;
  let nextSample = start + 5000;
  let i = 0;
  while (Date.now() - start < seconds * 1000) {
    const now = Date.now();
    let chunk = '';
    // Catch up to the schedule, whatever the last tick cost.
    const due = Math.floor(((now - start) / 1000) * perSec);
    for (; written < due; i++) {
      // Connections: 60 % silent scanners, 30 % brute force, 10 % banner grabs, from 200k IPv6 /64s and the 762 IPv4 documentation addresses.
      const r = i % 10;
      const kind = r < 6 ? 0 : r < 9 ? 1 : 2;
      const addr = i % 3 === 0 ? `${['192.0.2', '198.51.100', '203.0.113'][i % 9 === 0 ? 0 : i % 9 < 5 ? 1 : 2]}.${1 + (i % 254)}` : `2001:db8:${((i * 7919) % 200000 >> 12).toString(16)}:${((i * 7919) % 4096).toString(16)}::${1 + (i % 7)}`;
      const c = connection(kind, addr, pidOf(pidN++), 1024 + (i % 60000), now);
      chunk += c.text;
      written += c.lines;
    }
    appendFileSync(log, chunk);
    if (now >= nextSample) {
      samples.push({ t: Math.round((now - start) / 1000), rss: rssMb(pid), heap: metric(h, 'nodejs_heap_size_used_bytes') / 1e6, lag: metric(h, 'sshwarden_guard_log_lag_seconds'), lines: metricSum(h, 'sshwarden_guard_log_lines_total') });
      nextSample += 5000;
    }
    const sleep = tickMs - (Date.now() - now);
    if (sleep > 0) await new Promise((r) => setTimeout(r, sleep));
  }
  await new Promise((r) => setTimeout(r, 2000));
  const read = metricSum(h, 'sshwarden_guard_log_lines_total');
  const bans = metric(h, 'sshwarden_guard_active_bans');
  process.stdout.write(`rate: target ${perSec} lines/s for ${seconds} s; wrote ${written} lines (${Math.round(written / seconds)} lines/s); guard read ${read}; active bans ${bans}\n`);
  process.stdout.write(`  t(s)  RSS(MB)  heap used(MB)  lag(s)  lines read\n`);
  for (const s of samples) process.stdout.write(`  ${String(s.t).padStart(4)}  ${s.rss.toFixed(0).padStart(7)}  ${s.heap.toFixed(0).padStart(13)}  ${s.lag.toFixed(3).padStart(6)}  ${s.lines}\n`);
  process.stdout.write(`${JSON.stringify({ mode: 'rate', perSec, seconds, written, read, bans, samples })}\n`);
  await g.stop();
}

const STEADY_S = 8;
/** Past the guard's follow-up release (65 s after the burst's: the tracker's finished connections are gone by then). */
const LATE_S = Number(process.env.SSHWARDEN_BENCH_LATE_S ?? 75);

async function sources(): Promise<void> {
  const count = Number(process.argv[3] ?? 1_000_000);
  const g = await startConfiguredGuard();
  const pid = g.child.pid!;
  const baseline = rssMb(pid);
  const t0 = Date.now();
  const fd = openSync(log, 'a');
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += connection(0, `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`, pidOf(i), 1024 + (i % 60000), t0).text;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  const writeMs = Date.now() - t0;
  let tracked = 0;
  let peak = 0;
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    tracked = metric(h, 'sshwarden_guard_tracked_sources');
    peak = Math.max(peak, rssMb(pid));
    if (metricSum(h, 'sshwarden_guard_log_lines_total') >= count * 2) break;
  }
  const elapsed = (Date.now() - t0) / 1000;
  // Steady state: the 1M sources held, the guard idle (it releases the burst's heap within a few
  // ticks of going idle). Sampled every second for STEADY_S seconds; the last sample is the headline.
  let rss = 0;
  let late = 0;
  for (let s = 1; s <= LATE_S; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    late = rssMb(pid);
    if (s === STEADY_S) rss = late;
    peak = Math.max(peak, late);
  }
  tracked = metric(h, 'sshwarden_guard_tracked_sources');
  const heap = metric(h, 'nodejs_heap_size_used_bytes') / 1e6;
  const external = metric(h, 'nodejs_external_memory_bytes') / 1e6;
  const heapTotal = metric(h, 'nodejs_heap_size_total_bytes') / 1e6;
  const table = metric(h, 'sshwarden_guard_source_table_bytes') / 1e6;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  const anon = kb('RssAnon');
  const file = kb('RssFile');
  process.stdout.write(`sources: ${count} distinct /64s, ${count * 2} lines written in ${writeMs} ms, read in ${elapsed.toFixed(1)} s (${Math.round((count * 2) / elapsed)} lines/s); tracked ${tracked}; RSS baseline ${baseline.toFixed(0)} MB, peak while reading ${peak.toFixed(0)} MB, steady (all held, ${STEADY_S} s idle) ${rss.toFixed(0)} MB, after the follow-up release (${LATE_S} s idle) ${late.toFixed(0)} MB; V8 heap used ${heap.toFixed(0)} MB (of ${heapTotal.toFixed(0)} MB) + external ${external.toFixed(0)} MB, of which the source table ${table.toFixed(0)} MB; RSS = anonymous ${anon.toFixed(0)} MB + files ${file.toFixed(0)} MB (the node binary's pages)\n`);
  process.stdout.write(`${JSON.stringify({ mode: 'sources', count, tracked, baselineMb: baseline, rssMb: rss, rssLateMb: late, peakMb: peak, heapMb: heap, heapTotalMb: heapTotal, externalMb: external, tableMb: table, rssAnonMb: anon, rssFileMb: file, seconds: elapsed })}\n`);
  await g.stop();
}

try {
  if (mode === 'rate') await rate();
  else if (mode === 'sources') await sources();
  else throw new Error(`mode: rate | sources, not ${mode}`);
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
