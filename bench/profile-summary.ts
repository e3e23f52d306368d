/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by where the time goes in sshwarden's
 * pipeline: self time per stage folder (src/sources, src/framing, src/events, src/catalog,
 * src/connections, src/classify, src/engine, src/report, src/cli, ...), per file and the top
 * functions, plus GC / Node internals / idle.
 *
 *   node bench/profile-summary.ts PROFILE.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byStage: Array<{ stage: string; ms: number; pct: number }>;
  byFile: Array<{ file: string; ms: number; pct: number }>;
  byFunction: Array<{ fn: string; ms: number; pct: number }>;
}

/** Which pipeline stage a script URL belongs to. */
export function stageOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8/native (program)';
  const m = /\/src\/([^/]+)\//.exec(url);
  if (m) return `src/${m[1]}`;
  if (url.includes('/node_modules/')) {
    const p = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return `npm:${p ? p[1] : '?'}`;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url === '') {
    if (functionName.startsWith('RegExp:')) return 'regexp (native; mostly src/events + src/catalog patterns)';
    return 'native (builtins, I/O)';
  }
  return 'other';
}

export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const stage = new Map<string, number>();
  const file = new Map<string, number>();
  const fn = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { url, functionName, lineNumber } = n.callFrame;
    total += us;
    const s = stageOf(url, functionName);
    stage.set(s, (stage.get(s) ?? 0) + us);
    const shortUrl = url.replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/');
    const f = shortUrl || (functionName.startsWith('RegExp:') ? 'regexp' : s);
    file.set(f, (file.get(f) ?? 0) + us);
    const name = functionName.length > 100 ? `${functionName.slice(0, 100)}…` : functionName;
    const key = `${name || '(anonymous)'} ${f}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const rows = <K extends string>(m: Map<string, number>, k: K, limit: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ [k]: name, ms: Math.round(us / 100) / 10, pct: Math.round((us / total) * 1000) / 10 }) as { [P in K]: string } & { ms: number; pct: number });
  return {
    totalMs: Math.round(total / 1000),
    byStage: rows(stage, 'stage', 100),
    byFile: rows(file, 'file', top),
    byFunction: rows(fn, 'fn', top),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const out: string[] = [`CPU profile: ${s.totalMs} ms sampled`, '', 'self time by stage:'];
  for (const r of s.byStage) out.push(`  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.stage}`);
  out.push('', 'self time by file:');
  for (const r of s.byFile) out.push(`  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.file}`);
  out.push('', 'top functions (self time):');
  for (const r of s.byFunction) out.push(`  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.fn}`);
  return out.join('\n');
}

if (import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node bench/profile-summary.ts PROFILE.cpuprofile [--top N]\n');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile;
    process.stdout.write(`${formatSummary(summarise(profile, Number(values.top)))}\n`);
  }
}
