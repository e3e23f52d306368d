/**
 * Speed benchmark of `sshwarden analyze` against the real alternatives, in one run on the same
 * generated auth.log (not a test: it prints figures and checks them against the goals).
 *
 *   node bench/analyze.ts [--lines 1000000] [--seed 42] [--format iso|bsd] [--file PATH]
 *                         [--runs 3] [--f2b-runs 1] [--skip fail2ban,sshguard,...]
 *                         [--profile] [--json-out bench/results/analyze-latest.json]
 *
 * Contestants (each timed wall-clock around the process, peak RSS from GNU time `-v`):
 *  - node-baseline : `node bench/node-baseline.ts FILE` (read + split lines only: the ceiling)
 *  - sshwarden     : `./sshwarden analyze --json FILE > /dev/null`
 *  - sshguard      : `/usr/libexec/sshguard/sshg-parser < FILE > /dev/null` (Debian's sshguard)
 *  - fail2ban      : `fail2ban-regex FILE 'sshd[mode=aggressive]'` (Debian's fail2ban)
 *  - stage: read+frame / stage: +engine : the sshwarden pipeline cut after framing and after the
 *    engine (bench/analyze-stages.ts), so the differences give framing vs engine vs JSON output
 * After timing, sshwarden's per-outcome counts are checked against the generator's ground truth.
 * Goals: sshwarden >= 3 x sshguard's parser, >= 50 x fail2ban, peak RSS < 200 MB.
 * `--profile` also runs sshwarden once under `node --cpu-prof` and prints where the time goes
 * (bench/profile-summary.ts).
 * Generated logs are cached in /tmp/sshwarden-bench/ (deterministic: same options, same file).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, writeSync, readdirSync, statSync, rmSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { GenerateStats, TimeFormat } from './generate-auth-log.ts';
import { CACHE, ensureLog } from './generated-log.ts';
import { summarise, formatSummary } from './profile-summary.ts';

const ROOT = resolve(dirname(import.meta.filename), '..');
const GOALS = { vsSshguard: 3, vsFail2ban: 50, maxRssMb: 200 };

interface Measurement {
  tool: string;
  command: string;
  runs: number;
  /** Best of the runs: the machine is shared (other jobs add noise), so the minimum is the most faithful figure. */
  wallS: number;
  medianS: number;
  wallAllS: number[];
  linesPerS: number;
  peakRssMb: number;
  /** user + system CPU seconds of the process tree: best and median of the runs. */
  cpuBestS: number;
  cpuS: number;
  exitCode: number;
  note?: string;
}

interface TimedRun {
  wallS: number;
  rssKb: number;
  cpuS: number;
  exitCode: number;
  stderr: string;
}

/** Runs argv under `/usr/bin/time -v`, stdin/stdout from/to the given files. */
function timed(argv: string[], opts: { stdinFile?: string; stdoutFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<TimedRun> {
  const timeFile = join(CACHE, `time-${process.pid}-${Date.now()}.txt`);
  const stdin = opts.stdinFile ? openSync(opts.stdinFile, 'r') : 'ignore';
  const stdout = openSync(opts.stdoutFile, 'w');
  const t0 = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, ...argv], {
    stdio: [stdin, stdout, 'pipe'],
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 20000) stderr += d;
  });
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      if (typeof stdin === 'number') closeSync(stdin);
      closeSync(stdout);
      let text = '';
      try {
        text = readFileSync(timeFile, 'utf8');
        rmSync(timeFile);
      } catch {
        /* time could not write: reported below as rss 0 */
      }
      const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 'NaN');
      const rssKb = num(/Maximum resident set size \(kbytes\): (\d+)/);
      const cpuS = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
      const exit = num(/Exit status: (\d+)/);
      res({ wallS, rssKb, cpuS, exitCode: Number.isNaN(exit) ? (code ?? -1) : exit, stderr });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function measure(
  tool: string,
  argv: string[],
  runs: number,
  lines: number,
  io: { stdinFile?: string; stdoutFile?: string },
  okCodes: number[] = [0],
): Promise<Measurement> {
  const all: TimedRun[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`bench: ${tool} run ${i + 1}/${runs} ... `);
    const r = await timed(argv, { stdinFile: io.stdinFile, stdoutFile: io.stdoutFile ?? '/dev/null' });
    process.stderr.write(`${r.wallS.toFixed(2)} s, ${(r.rssKb / 1024).toFixed(0)} MB, exit ${r.exitCode}\n`);
    all.push(r);
    if (!okCodes.includes(r.exitCode)) {
      process.stderr.write(`bench: ${tool} failed (exit ${r.exitCode}):\n${r.stderr.slice(0, 2000)}\n`);
      break;
    }
  }
  const walls = all.map((r) => r.wallS);
  const wallS = Math.min(...walls);
  const failed = all.find((r) => !okCodes.includes(r.exitCode));
  return {
    tool,
    command: argv.join(' ') + (io.stdinFile ? ` < ${io.stdinFile}` : ''),
    runs: all.length,
    wallS: round(wallS, 3),
    medianS: round(median(walls), 3),
    wallAllS: walls.map((w) => round(w, 3)),
    linesPerS: Math.round(lines / wallS),
    peakRssMb: round(Math.max(...all.map((r) => r.rssKb)) / 1024, 1),
    cpuBestS: round(Math.min(...all.map((r) => r.cpuS)), 2),
    cpuS: round(median(all.map((r) => r.cpuS)), 2),
    exitCode: failed ? failed.exitCode : all[0].exitCode,
    note: failed ? `FAILED: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}` : undefined,
  };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/**
 * Runs sshwarden once more (untimed) into a temporary file and compares its per-outcome
 * connection counts with the generator's ground truth. Connections still open when the file
 * ends differ slightly (the generator counts a connection at its last line; sshwarden classifies
 * an unfinished one by what it saw, e.g. a session without its end line as authenticated).
 */
async function groundTruthCheck(file: string, stats: GenerateStats): Promise<string> {
  const out = join(CACHE, `sshwarden-out-${process.pid}.json`);
  const r = await timed([join(ROOT, 'sshwarden'), 'analyze', '--json', file], { stdoutFile: out });
  if (r.exitCode !== 0 && r.exitCode !== 1) return `ground truth: sshwarden failed (exit ${r.exitCode})`;
  let got: Record<string, number>;
  let connections: number;
  try {
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { summary: { outcomes: Record<string, number>; connections: number } };
    got = doc.summary.outcomes;
    connections = doc.summary.connections;
  } finally {
    rmSync(out, { force: true });
  }
  const keys = [...new Set([...Object.keys(stats.outcomes), ...Object.keys(got)])].filter((k) => (stats.outcomes[k] ?? 0) + (got[k] ?? 0) > 0);
  const rows = ['| outcome | generated (ground truth) | sshwarden | difference |', '| --- | ---: | ---: | ---: |'];
  let expectTotal = 0;
  for (const k of keys) {
    const e = stats.outcomes[k] ?? 0;
    const g = got[k] ?? 0;
    expectTotal += e;
    rows.push(`| ${k} | ${e} | ${g} | ${g - e >= 0 ? '+' : ''}${g - e} |`);
  }
  rows.push(`| **connections** | ${expectTotal} | ${connections} | ${connections - expectTotal >= 0 ? '+' : ''}${connections - expectTotal} |`);
  return `ground truth check (sshwarden summary.outcomes vs the generator):\n${rows.join('\n')}`;
}

function countLines(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

async function profileSshwarden(file: string, nodeBin: string): Promise<string> {
  const dir = join(CACHE, `prof-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.stderr.write('bench: profiling sshwarden analyze --json (node --cpu-prof) ...\n');
  await timed([nodeBin, '--cpu-prof', '--cpu-prof-dir', dir, '--disable-warning=ExperimentalWarning', join(ROOT, 'src/cli/main.ts'), 'analyze', '--json', file], {
    stdoutFile: '/dev/null',
  });
  const prof = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!prof) return 'no profile written';
  const text = formatSummary(summarise(JSON.parse(readFileSync(join(dir, prof), 'utf8')), 25));
  process.stderr.write(`bench: profile kept at ${join(dir, prof)}\n`);
  return text;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      format: { type: 'string', default: 'iso' },
      file: { type: 'string' },
      runs: { type: 'string', default: '3' },
      'f2b-runs': { type: 'string', default: '1' },
      skip: { type: 'string', default: '' },
      profile: { type: 'boolean', default: false },
      'json-out': { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const f2bRuns = Number(values['f2b-runs']);
  const skip = new Set(values.skip.split(',').filter(Boolean));
  const format = values.format as TimeFormat;
  if (format !== 'iso' && format !== 'bsd') throw new Error('--format: iso or bsd');
  const generated = values.file ? null : ensureLog(Number(values.lines), Number(values.seed), format);
  const file = generated ? generated.file : resolve(values.file!);
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  const lines = countLines(file); // also pulls the file into the page cache before the first timed run
  const nodeBin = process.execPath;
  const results: Measurement[] = [];

  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing (peak memory comes from GNU time -v): apt-get install -y time');
  for (const [tool, path] of [
    ['sshguard', '/usr/libexec/sshguard/sshg-parser'],
    ['fail2ban', '/usr/bin/fail2ban-regex'],
  ] as const) {
    if (!existsSync(path) && !skip.has(tool)) {
      throw new Error(`${path} is missing: apt-get install -y ${tool} (or --skip ${tool})`);
    }
  }

  if (!skip.has('node-baseline')) results.push(await measure('node-baseline', [nodeBin, join(ROOT, 'bench/node-baseline.ts'), file], runs, lines, {}));
  if (!skip.has('sshwarden')) results.push(await measure('sshwarden', [join(ROOT, 'sshwarden'), 'analyze', '--json', file], runs, lines, {}, [0, 1]));
  if (!skip.has('stages')) {
    results.push(await measure('stage: read+frame', [nodeBin, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/analyze-stages.ts'), 'read', file], runs, lines, {}));
    results.push(await measure('stage: +engine (no output)', [nodeBin, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/analyze-stages.ts'), 'engine', file], runs, lines, {}));
  }
  if (!skip.has('sshguard')) results.push(await measure('sshguard', ['/usr/libexec/sshguard/sshg-parser'], runs, lines, { stdinFile: file }));
  if (!skip.has('fail2ban')) results.push(await measure('fail2ban', ['fail2ban-regex', file, 'sshd[mode=aggressive]'], f2bRuns, lines, {}));

  const sw = results.find((r) => r.tool === 'sshwarden');
  const by = (t: string) => results.find((r) => r.tool === t);
  const ratio = (t: string): number | null => {
    const o = by(t);
    return sw && o && !sw.note && !o.note ? round(o.wallS / sw.wallS, 2) : null;
  };
  const cpuRatio = (t: string): number | null => {
    const o = by(t);
    return sw && o && !sw.note && !o.note && sw.cpuBestS > 0 ? round(o.cpuBestS / sw.cpuBestS, 2) : null;
  };
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const table = [
    `input: ${file} (${lines} lines, ${(statSync(file).size / 1e6).toFixed(1)} MB); node ${process.version}; ${new Date().toISOString()}; load average at the end ${load} on ${availableParallelism()} CPUs`,
    '',
    '| tool | runs | wall s (best) | wall s (median) | lines/s (best wall) | CPU s (best) | peak RSS MB | sshwarden speed-up (wall) | sshwarden speed-up (CPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const fmt = (x: number | null) => (x === null ? 'n/a' : `${x} x`);
      const stage = r.tool.startsWith('stage');
      const x = r.tool === 'sshwarden' ? '1' : stage ? '—' : fmt(ratio(r.tool));
      const c = r.tool === 'sshwarden' ? '1' : stage ? '—' : fmt(cpuRatio(r.tool));
      return `| ${r.tool}${r.note ? ' (failed)' : ''} | ${r.runs} | ${r.wallS} | ${r.medianS} | ${r.linesPerS.toLocaleString('en-US')} | ${r.cpuBestS} | ${r.peakRssMb} | ${x} | ${c} |`;
    }),
  ];
  const goals: string[] = [];
  if (sw) {
    const vsSg = ratio('sshguard');
    const vsF2b = ratio('fail2ban');
    const base = by('node-baseline');
    const cSg = cpuRatio('sshguard');
    const cF2b = cpuRatio('fail2ban');
    if (vsSg !== null) goals.push(`${vsSg >= GOALS.vsSshguard ? 'PASS' : 'MISS'}  sshwarden >= ${GOALS.vsSshguard} x sshguard parser: ${vsSg} x by wall time, ${cSg} x by CPU time`);
    if (vsF2b !== null) goals.push(`${vsF2b >= GOALS.vsFail2ban ? 'PASS' : 'MISS'}  sshwarden >= ${GOALS.vsFail2ban} x fail2ban-regex aggressive: ${vsF2b} x by wall time, ${cF2b} x by CPU time`);
    goals.push(`${sw.peakRssMb < GOALS.maxRssMb ? 'PASS' : 'MISS'}  sshwarden peak RSS < ${GOALS.maxRssMb} MB: ${sw.peakRssMb} MB`);
    if (base && !sw.note) goals.push(`info  sshwarden reaches ${Math.round((base.wallS / sw.wallS) * 100)}% of the Node read+split ceiling (${base.linesPerS.toLocaleString('en-US')} lines/s)`);
    if (sw.note) goals.push(`MISS  sshwarden failed: ${sw.note}`);
  }
  process.stdout.write(`${table.join('\n')}\n\n${goals.join('\n')}\n`);
  let truth: string | undefined;
  if (generated && sw && !sw.note) {
    truth = await groundTruthCheck(file, generated.stats);
    process.stdout.write(`\n${truth}\n`);
  }
  let profileText: string | undefined;
  if (values.profile && sw) {
    profileText = await profileSshwarden(file, nodeBin);
    process.stdout.write(`\n${profileText}\n`);
  }
  if (values['json-out']) {
    const out = resolve(values['json-out']);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ file, lines, node: process.version, date: new Date().toISOString(), results, goals, groundTruth: truth, profile: profileText }, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
