/**
 * `sshwarden doctor` on a server whose log holds 1,000,000 lines in the window (the generated
 * auth.log of bench/analyze.ts), with its live checks on this host; against `analyze --json` on
 * the same file (the log engine alone), one run each. Goal: doctor < 10 s on this machine.
 *
 *   node bench/doctor.ts [--lines 1000000] [--seed 42] [--config /etc/ssh/sshd_config]
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { resolve, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLog } from './generated-log.ts';

const ROOT = resolve(dirname(import.meta.filename), '..');
const GOAL_MS = 10_000;

/** One run under GNU time: wall ms, CPU ms (user + system, children included), peak RSS. */
function timed(args: string[]): { ms: number; cpuMs: number; rssMb: number; stdout: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %U %S %M', `${ROOT}/sshwarden`, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
  const m = /@@time ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return { ms: Math.round(performance.now() - t0), cpuMs: m ? Math.round((Number(m[1]) + Number(m[2])) * 1000) : -1, rssMb: m ? Math.round(Number(m[3]) / 1024) : -1, stdout: r.stdout, status: r.status };
}

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, config: { type: 'string', default: '/etc/ssh/sshd_config' } } });
const { file, stats } = ensureLog(Number(values.lines), Number(values.seed), 'iso');
// the window covers the whole file: every line is "in the window"
const since = new Date(Date.parse(stats.firstTs) - 60_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const until = new Date(Date.parse(stats.lastTs) + 60_000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${stats.lines} lines, ${stats.firstTs} .. ${stats.lastTs}\n`);
const doctor = timed(['doctor', '--json', '--log', file, '--config', values.config!, '--since', since, '--until', until]);
const analyze = timed(['analyze', '--json', file]);
let checks = '';
try {
  const j = JSON.parse(doctor.stdout) as { verdict: string; causes: { id: string }[]; checked: { check: string; ms: number | null }[]; unchecked: { check: string; ms: number | null }[] };
  checks = [...j.checked, ...j.unchecked].map((c) => `${c.check} ${c.ms ?? '?'} ms`).join(', ');
  process.stdout.write(`verdict: ${j.verdict}\ncauses: ${j.causes.map((c) => c.id).join(', ')}\n`);
} catch {
  process.stdout.write(`doctor printed no JSON (exit ${doctor.status})\n`);
}
const row = (name: string, r: ReturnType<typeof timed>) => `| ${name} | ${(r.ms / 1000).toFixed(2)} s | ${(r.cpuMs / 1000).toFixed(2)} s | ${r.rssMb} MB |`;
process.stdout.write(`\n| run | wall | CPU (user+sys) | peak RSS |\n| --- | ---: | ---: | ---: |\n${row('sshwarden doctor (logs + config + live checks)', doctor)}\n${row('sshwarden analyze --json (the log engine alone)', analyze)}\n\nchecks: ${checks}\n`);
process.stdout.write(`goal doctor < ${GOAL_MS / 1000} s wall: ${doctor.ms < GOAL_MS ? 'met' : 'NOT met'}; CPU ${(doctor.cpuMs / 1000).toFixed(2)} s (${(doctor.cpuMs / analyze.cpuMs).toFixed(2)} x analyze's CPU); load average now ${loadavg()[0].toFixed(2)} on ${availableParallelism()} CPUs\n`);
