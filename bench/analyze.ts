/**
 * Speed benchmark of `sshwarden analyze` against the real alternatives, in one run on the same
 * generated auth.log (not a test: it prints figures and checks them against the goals).
 *
 *   node bench/analyze.ts [--lines 1000000] [--seed 42] [--format iso|bsd] [--file PATH]
 *                         [--runs 3] [--f2b-runs 1] [--skip plain,gz,fail2ban,sshguard,zcat-pipe,stages,...]
 *                         [--profile] [--json-out bench/results/analyze-latest.json]
 *
 * Two inputs, each with its own table and ratios: the plain file and the same file gzipped
 * (`--skip plain` / `--skip gz` leaves one out). Each contestant is timed wall-clock around its
 * process, CPU and peak RSS from GNU time `-v`; ratios by median wall time (the goal), best wall
 * time and best CPU time.
 * Plain file:
 *  - node-baseline : `node bench/node-baseline.ts FILE` (read + split lines only: the ceiling)
 *  - sshwarden     : `./sshwarden analyze --json FILE > /dev/null`
 *  - sshguard      : `/usr/libexec/sshguard/sshg-parser < FILE > /dev/null` (Debian's sshguard)
 *  - fail2ban      : `fail2ban-regex FILE 'sshd[mode=aggressive]'` (Debian's fail2ban)
 *  - stage: read+frame / stage: +engine : the sshwarden pipeline cut after framing and after the
 *    engine (bench/analyze-stages.ts), so the differences give framing vs engine vs JSON output
 * Gzipped file (FILE.gz, gzip's default level, made once in the cache):
 *  - sshwarden     : `./sshwarden analyze --json FILE.gz` (reads .gz itself)
 *  - sshwarden (zcat | analyze -) : the same through a pipe, for comparison
 *  - sshguard      : `zcat FILE.gz | sshg-parser`
 *  - fail2ban      : `zcat FILE.gz > TMP && fail2ban-regex TMP …` (it reads neither .gz nor a pipe)
 * After timing, sshwarden's per-outcome counts are checked against the generator's ground truth.
 * Goals: sshwarden >= 3 x sshguard's parser, >= 50 x fail2ban, peak RSS < 200 MB.
 * `--profile` also runs sshwarden once under `node --cpu-prof` and prints where the time goes
 * (bench/profile-summary.ts).
 * Generated logs are cached in /tmp/sshwarden-bench/ (deterministic: same options, same file).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, writeSync, readdirSync, statSync, rmSync, renameSync } from 'node:fs';
import { join, dirname, resolve, basename } from 'node:path';
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

/** `FILE.gz` in the cache, made once with gzip's default level (as logrotate compresses). */
function gzipped(file: string): string {
  const gz = join(CACHE, `${basename(file)}.gz`);
  if (existsSync(gz) && statSync(gz).mtimeMs >= statSync(file).mtimeMs) return gz;
  process.stderr.write(`bench: gzip ${file} -> ${gz} ...\n`);
  const tmp = `${gz}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const r = spawnSync('gzip', ['-c', '--', file], { stdio: ['ignore', fd, 'inherit'] });
    if (r.status !== 0) throw new Error(`gzip ${file} failed (${r.error?.message ?? `exit ${r.status}`})`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, gz);
  return gz;
}

/** The table and goal lines of one input: ratios by best wall, median wall and best CPU. */
function groupReport(name: string, input: string, results: Measurement[], lines: number): { table: string[]; goals: string[] } {
  const sw = results.find((r) => r.tool === 'sshwarden');
  const by = (t: string) => results.find((r) => r.tool === t);
  const ratio = (t: string, k: 'wallS' | 'medianS' | 'cpuBestS'): number | null => {
    const o = by(t);
    return sw && o && !sw.note && !o.note && sw[k] > 0 ? round(o[k] / sw[k], 2) : null;
  };
  const fmt = (x: number | null) => (x === null ? 'n/a' : `${x} x`);
  const table = [
    `### ${name}: ${input} (${lines} lines, ${(statSync(input).size / 1e6).toFixed(1)} MB)`,
    '',
    '| tool | runs | wall s (best) | wall s (median) | lines/s (median wall) | CPU s (best) | peak RSS MB | sshwarden speed-up (median wall) | (best wall) | (CPU) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const other = r.tool === 'sshguard' || r.tool === 'fail2ban' || r.tool === 'node-baseline';
      const cell = (k: 'wallS' | 'medianS' | 'cpuBestS') => (r.tool === 'sshwarden' ? '1' : other ? fmt(ratio(r.tool, k)) : '—');
      return `| ${r.tool}${r.note ? ' (failed)' : ''} | ${r.runs} | ${r.wallS} | ${r.medianS} | ${Math.round(lines / r.medianS).toLocaleString('en-US')} | ${r.cpuBestS} | ${r.peakRssMb} | ${cell('medianS')} | ${cell('wallS')} | ${cell('cpuBestS')} |`;
    }),
  ];
  const goals: string[] = [];
  if (sw) {
    const line = (t: string, goal: number, label: string) => {
      const m = ratio(t, 'medianS');
      if (m === null) return;
      goals.push(`${m >= goal ? 'PASS' : 'MISS'}  ${name}: sshwarden >= ${goal} x ${label}: ${m} x by median wall time (best ${ratio(t, 'wallS')} x, CPU ${ratio(t, 'cpuBestS')} x)`);
    };
    line('sshguard', GOALS.vsSshguard, 'sshguard parser');
    line('fail2ban', GOALS.vsFail2ban, 'fail2ban-regex aggressive');
    goals.push(`${sw.peakRssMb < GOALS.maxRssMb ? 'PASS' : 'MISS'}  ${name}: sshwarden peak RSS < ${GOALS.maxRssMb} MB: ${sw.peakRssMb} MB`);
    const base = by('node-baseline');
    if (base && !sw.note) goals.push(`info  ${name}: sshwarden reaches ${Math.round((base.medianS / sw.medianS) * 100)}% of the Node read+split ceiling (${Math.round(lines / base.medianS).toLocaleString('en-US')} lines/s)`);
    if (sw.note) goals.push(`MISS  ${name}: sshwarden failed: ${sw.note}`);
  }
  return { table, goals };
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

  if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is missing (peak memory comes from GNU time -v): apt-get install -y time');
  for (const [tool, path] of [
    ['sshguard', '/usr/libexec/sshguard/sshg-parser'],
    ['fail2ban', '/usr/bin/fail2ban-regex'],
  ] as const) {
    if (!existsSync(path) && !skip.has(tool)) {
      throw new Error(`${path} is missing: apt-get install -y ${tool} (or --skip ${tool})`);
    }
  }

  const gz = gzipped(file);
  const groups: { name: string; input: string; results: Measurement[] }[] = [];
  if (!skip.has('plain')) {
    const results: Measurement[] = [];
    if (!skip.has('node-baseline')) results.push(await measure('node-baseline', [nodeBin, join(ROOT, 'bench/node-baseline.ts'), file], runs, lines, {}));
    if (!skip.has('sshwarden')) results.push(await measure('sshwarden', [join(ROOT, 'sshwarden'), 'analyze', '--json', file], runs, lines, {}, [0, 1]));
    if (!skip.has('stages')) {
      results.push(await measure('stage: read+frame', [nodeBin, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/analyze-stages.ts'), 'read', file], runs, lines, {}));
      results.push(await measure('stage: +engine (no output)', [nodeBin, '--disable-warning=ExperimentalWarning', join(ROOT, 'bench/analyze-stages.ts'), 'engine', file], runs, lines, {}));
    }
    if (!skip.has('sshguard')) results.push(await measure('sshguard', ['/usr/libexec/sshguard/sshg-parser'], runs, lines, { stdinFile: file }));
    if (!skip.has('fail2ban')) results.push(await measure('fail2ban', ['fail2ban-regex', file, 'sshd[mode=aggressive]'], f2bRuns, lines, {}));
    groups.push({ name: 'plain', input: file, results });
  }
  if (!skip.has('gz')) {
    // The same log gzipped (as logrotate leaves it). sshwarden reads .gz itself; sshguard's parser
    // reads stdin, so it gets `zcat FILE |`; fail2ban-regex cannot read .gz or a pipe (it takes a
    // non-file argument as a log line), so it gets the file decompressed first, timed with it.
    // The file name goes to sh as an argument ("$1"), never into the command text.
    const results: Measurement[] = [];
    const sh = (cmd: string, ...args: string[]) => ['/bin/sh', '-c', cmd, 'sh', ...args];
    if (!skip.has('sshwarden')) {
      results.push(await measure('sshwarden', [join(ROOT, 'sshwarden'), 'analyze', '--json', gz], runs, lines, {}, [0, 1]));
      if (!skip.has('zcat-pipe'))
        results.push(await measure('sshwarden (zcat | analyze -)', sh('zcat -- "$1" | "$2" analyze --json -', gz, join(ROOT, 'sshwarden')), runs, lines, {}, [0, 1]));
    }
    if (!skip.has('sshguard')) results.push(await measure('sshguard', sh('zcat -- "$1" | /usr/libexec/sshguard/sshg-parser', gz), runs, lines, {}));
    if (!skip.has('fail2ban')) {
      const tmp = join(CACHE, `f2b-gunzipped-${process.pid}.log`);
      try {
        results.push(await measure('fail2ban', sh('zcat -- "$1" > "$2" && fail2ban-regex "$2" "sshd[mode=aggressive]"', gz, tmp), f2bRuns, lines, {}));
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    groups.push({ name: 'gzipped', input: gz, results });
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out: string[] = [];
  const goals: string[] = [];
  for (const g of groups) {
    const { table, goals: gGoals } = groupReport(g.name, g.input, g.results, lines);
    out.push(table.join('\n'));
    goals.push(...gGoals);
  }
  out.push(`node ${process.version}; ${new Date().toISOString()}; load average at the end ${load} on ${availableParallelism()} CPUs`);
  const sw = groups.find((g) => g.name === 'plain')?.results.find((r) => r.tool === 'sshwarden');
  const results = groups.flatMap((g) => g.results.map((r) => ({ ...r, input: g.name })));
  process.stdout.write(`${out.join('\n\n')}\n\n${goals.join('\n')}\n`);
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
    const jsonOut = resolve(values['json-out']);
    mkdirSync(dirname(jsonOut), { recursive: true });
    writeFileSync(jsonOut, `${JSON.stringify({ file, lines, node: process.version, date: new Date().toISOString(), results, goals, groundTruth: truth, profile: profileText }, null, 2)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
