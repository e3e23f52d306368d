/**
 * Benchmark of `sshwarden report` on the generated 1,000,000-line auth.log (the same cached file
 * bench/analyze.ts uses): time (wall and CPU, under GNU time) and peak RSS to write the page, against
 * `sshwarden analyze --json` on the same file (the floor: reading and classifying the log), the page's size (raw and gzipped, as mailed),
 * and how long the page takes to open in Debian's headless Chromium (navigation start to the page
 * script's last line, read from the page itself; best and median of the opens). Not a test.
 *
 *   ./bench/report.sh                    # 1M lines, 3 opens
 *   node bench/report.ts --lines 200000 --opens 5
 *
 * Goals (issue 11): the page < 3 MB, opens in < 2 s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ensureLog } from './generated-log.ts';
import { TestBrowser } from '../test/report/browser.ts';

const ROOT = resolve(dirname(import.meta.filename), '..');
const GOALS = { maxBytes: 3 * 1024 * 1024, maxOpenMs: 2000 };

/** One run under GNU time: wall and CPU (user+system) time, peak RSS. */
function timed(args: string[], dir: string): { ms: number; cpuMs: number; rssMb: number; stderr: string; status: number | null } {
  const out = join(dir, 'time.txt');
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, join(ROOT, 'sshwarden'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw new Error(`/usr/bin/time: ${r.error.message} (apt-get install time)`);
  const [user, sys, rssKb] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (user + sys) * 1000, rssMb: rssKb / 1024, stderr: r.stderr, status: r.status };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, opens: { type: 'string', default: '3' } } });
  const { file } = ensureLog(Number(values.lines), Number(values.seed), 'iso');
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-bench-report-'));
  const browser = new TestBrowser();
  try {
    const page = join(dir, 'report.html');
    const analyze = timed(['analyze', '--json', file], dir);
    const report = timed(['report', file, '-o', page], dir);
    if (report.status !== 0) throw new Error(`report failed: ${report.stderr}`);
    const bytes = statSync(page).size;
    const gz = gzipSync(readFileSync(page)).length;
    await browser.start();
    const opens: number[] = [];
    const navs: number[] = [];
    for (let i = 0; i < Number(values.opens); i++) {
      const o = await browser.open(page, { timeoutMs: 120_000 });
      if (o.errors.length) throw new Error(`page errors: ${o.errors.join('; ')}`);
      opens.push(Number(await o.page.getAttribute('body', 'data-ready-ms')));
      navs.push(o.loadMs);
      await o.page.close();
    }
    opens.sort((a, b) => a - b);
    navs.sort((a, b) => a - b);
    const mb = (n: number) => (n / 1048576).toFixed(2);
    const lines = [
      `sshwarden report benchmark: ${file} (${Number(values.lines).toLocaleString('en-US')} lines), load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
      '',
      '| figure | value |',
      '| --- | ---: |',
      `| \`analyze --json > /dev/null\` (one run): wall / CPU / peak RSS | ${(analyze.ms / 1000).toFixed(2)} s / ${(analyze.cpuMs / 1000).toFixed(2)} s / ${analyze.rssMb.toFixed(0)} MB |`,
      `| \`report -o page.html\` (one run): wall / CPU / peak RSS | ${(report.ms / 1000).toFixed(2)} s / ${(report.cpuMs / 1000).toFixed(2)} s / ${report.rssMb.toFixed(0)} MB |`,
      `| report ÷ analyze (wall / CPU) | ${(report.ms / analyze.ms).toFixed(2)} / ${(report.cpuMs / analyze.cpuMs).toFixed(2)} |`,
      `| page size | ${mb(bytes)} MB (gzip ${mb(gz)} MB) |`,
      `| page open in Chromium, navigation start → drawn (best / median of ${opens.length}) | ${opens[0]} ms / ${opens[Math.floor(opens.length / 2)]} ms |`,
      `| the same measured from outside (goto → data-ready, incl. DevTools round trips) | ${navs[0]} ms / ${navs[Math.floor(navs.length / 2)]} ms |`,
      '',
      `Goals: page < 3 MB: ${bytes < GOALS.maxBytes ? 'met' : 'MISSED'}; opens in < 2 s: ${opens[Math.floor(opens.length / 2)] < GOALS.maxOpenMs ? 'met' : 'MISSED'}.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
