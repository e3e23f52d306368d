/**
 * `sshwarden doctor` on a server whose log holds 1,000,000 lines in the window (the generated
 * auth.log of bench/analyze.ts), with its live checks on this host; against `analyze --json` on
 * the same file (the log engine alone), one run each. Goal: doctor < 10 s on this machine.
 *
 *   node bench/doctor.ts [--lines 1000000] [--seed 42] [--config /etc/ssh/sshd_config]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLog } from './generated-log.ts';

const ROOT = resolve(dirname(import.meta.filename), '..');
const GOAL_MS = 10_000;

function timed(args: string[]): { ms: number; stdout: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(`${ROOT}/sshwarden`, args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 300_000 });
  return { ms: Math.round(performance.now() - t0), stdout: r.stdout, status: r.status };
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
process.stdout.write(`\n| run | wall |\n| --- | ---: |\n| sshwarden doctor (logs + config + live checks) | ${(doctor.ms / 1000).toFixed(2)} s |\n| sshwarden analyze --json (the log engine alone) | ${(analyze.ms / 1000).toFixed(2)} s |\n\nchecks: ${checks}\n`);
process.stdout.write(`goal doctor < ${GOAL_MS / 1000} s: ${doctor.ms < GOAL_MS ? 'met' : 'NOT met'} (${(doctor.ms / analyze.ms).toFixed(2)} x analyze)\n`);
