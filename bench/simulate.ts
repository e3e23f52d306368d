/**
 * The MaxStartups simulator on a busy server's log: the generated 1,000,000-line auth.log (see
 * generate-auth-log.ts), analysed by the engine (once alone, once with an ArrivalCollector taking the
 * streamed connection records: the difference is the collector's cost), then
 *   - simulateSetting: today's 10:30:100 over 20 seeds,
 *   - recommend: today's and the candidates, 20 seeds each (what `doctor` and `report` run).
 * There is no other MaxStartups simulator to race against: the figures are absolute (one run,
 * wall clock), with the engine's own time beside them as the yardstick. Goal: simulation plus
 * recommendation take less than the log's analysis.
 *
 *   node bench/simulate.ts [--lines 1000000] [--seed 42] [--file auth.log]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readInputs } from '../src/sources/read-inputs.ts';
import { Analyzer } from '../src/engine/analyzer.ts';
import type { EngineUpdate } from '../src/engine/types.ts';
import { ArrivalCollector, admissionSettings, recommend, simulateSetting } from '../src/simulate/index.ts';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' }, file: { type: 'string' } } });
let file = values.file;
if (!file) {
  mkdirSync('/tmp/sshwarden-bench', { recursive: true });
  file = `/tmp/sshwarden-bench/auth-${values.lines}-s${values.seed}-iso-g1.log`;
  if (!existsSync(file)) {
    const gen = fileURLToPath(new URL('./generate-auth-log.ts', import.meta.url));
    const r = spawnSync(process.execPath, [gen, '--lines', values.lines!, '--seed', values.seed!, '--out', file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('generating the log failed');
  }
}

async function analyse(collector: ArrivalCollector | null): Promise<number> {
  const t0 = performance.now();
  const analyzer = new Analyzer({ keepConnections: false });
  const take = (us: EngineUpdate[]) => {
    if (collector === null) return;
    for (const u of us) {
      if (u.kind === 'connection-closed') collector.add(u.connection);
      else if (u.kind === 'auth-success' && u.ts !== null) collector.authSuccess(u.address, u.port, u.ts);
    }
  };
  for await (const batch of readInputs([file!], { onError: (f, l, m) => process.stderr.write(`${f}:${l}: ${m}\n`) }).batches()) {
    for (const line of batch) take(analyzer.push(line));
  }
  take(analyzer.finish().finalUpdates);
  return performance.now() - t0;
}

// The way doctor and report use it: records streamed from the engine into an ArrivalCollector.
const analyseMs = await analyse(null);
const collector = new ArrivalCollector({ loginGraceTime: 120 });
const withCollectorMs = await analyse(collector);
let t = performance.now();
const set = collector.finish();
const arrivalsMs = withCollectorMs - analyseMs + (performance.now() - t);
const today = admissionSettings({}, '9.2');
t = performance.now();
const cur = simulateSetting(set.arrivals, today, { runs: 20 });
const simMs = performance.now() - t;
t = performance.now();
const rec = recommend(set.arrivals, today, { runs: 20 });
const recMs = performance.now() - t;

const f = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`log: ${file}: ${set.arrivals.length} arrivals (${set.estimated} refused in the log, estimated), ${set.userSources.length} user sources`);
console.log(`analyse (engine, the yardstick)     ${f(analyseMs)}`);
console.log(`ArrivalCollector (add during the analysis + finish) ${f(arrivalsMs)}`);
console.log(`simulateSetting 10:30:100, 20 seeds ${f(simMs)}  (${((simMs / 20 / set.arrivals.length) * 1e6).toFixed(0)} ns per arrival and run); dropped ${cur.dropped.min}..${cur.dropped.max}, users ${cur.droppedUsers.min}..${cur.droppedUsers.max}, peak ${cur.peak.min}..${cur.peak.max}`);
console.log(`recommend, 20 seeds                 ${f(recMs)}  status ${rec.status}, ${rec.tried} settings tried${rec.best ? `: ${rec.best.lines.join(', ')}` : ''}`);
console.log(`goal (simulation + recommendation < analysis): ${simMs + recMs < analyseMs ? 'met' : 'NOT met'}`);
