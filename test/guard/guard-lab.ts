/**
 * Lab helpers for the guard's end-to-end tests: writes a config into a temp dir, runs the real
 * CLI (`sshwarden guard`) inside a lab Host (its nft table lives in that namespace only), and
 * collects its JSON log lines.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host } from '../lab/netns.ts';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface GuardLog {
  msg: string;
  level: string;
  [k: string]: unknown;
}

export interface RunningGuard {
  readonly child: ChildProcess;
  readonly logs: GuardLog[];
  readonly stderr: () => string;
  waitLog(pred: (l: GuardLog) => boolean, timeoutMs?: number, what?: string): Promise<GuardLog>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp dir for one guard's config, store and socket; removed when the test process exits. */
export function guardDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sshwarden-guard-test-'));
  dirs.push(d);
  return d;
}

export function writeConfig(dir: string, yaml: string): string {
  const p = join(dir, 'config.yaml');
  writeFileSync(p, yaml);
  return p;
}

export function baseConfig(dir: string, logFile: string, extra = ''): string {
  return `log:
  source: files
  files: [${JSON.stringify(logFile)}]
state:
  database: ${JSON.stringify(join(dir, 'guard.db'))}
  socket: ${JSON.stringify(join(dir, 'run', 'guard.sock'))}
metrics:
  listen: 127.0.0.1:9687
${extra}`;
}

/** Runs the sshwarden CLI once inside `host` (e.g. `status --json`). */
export function cli(host: Host, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = host.run(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { timeoutMs: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `prefix`: a command the guard runs under inside the host (e.g. `nsenter -t PID -m --` for a private mount namespace). */
export async function startGuard(host: Host, configPath: string, args: string[] = [], prefix: string[] = [], startTimeoutMs = 15_000): Promise<RunningGuard> {
  const argv = [process.execPath, '--disable-warning=ExperimentalWarning', MAIN, 'guard', '-c', configPath, ...args];
  const all = [...prefix, ...argv];
  const child = host.spawn(all[0], all.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: GuardLog[] = [];
  let err = '';
  let partial = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      try {
        logs.push(JSON.parse(l) as GuardLog);
      } catch {
        logs.push({ msg: 'unparsed', level: 'raw', text: l });
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (err += d));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const g: RunningGuard = {
    child,
    logs,
    stderr: () => err,
    async waitLog(pred, timeoutMs = 10_000, what = 'log line') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs.find(pred);
        if (hit) return hit;
        if (child.exitCode !== null) throw new Error(`guard exited (${child.exitCode}) while waiting for ${what}: ${err}\n${JSON.stringify(logs.slice(-5))}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; last logs: ${JSON.stringify(logs.slice(-8))} stderr: ${err}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async kill() {
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
  await g.waitLog((l) => l.msg === 'guard started', startTimeoutMs, 'guard started');
  return g;
}

/** True when a TCP connection from `from` to `to:port` completes within 1 s (a dropped SYN does not). */
export function reaches(from: Host, to: string, port = 22): boolean {
  // Own source port from 30000-39999: the lab clients pin the ephemeral range to one port at a time.
  const src = 30000 + ((ncPort++ * 7919) % 10000);
  return from.run('nc', ['-z', '-w', '1', '-p', String(src), to, String(port)], { timeoutMs: 5000 }).status === 0;
}
let ncPort = process.pid % 1000;

/** Repeats one attack step until the guard logs a ban for `target` (bounded): steps after a ban would hang on dropped SYNs. */
export async function attackUntilBanned(g: RunningGuard, target: string, step: () => void, maxSteps: number): Promise<number> {
  for (let i = 0; i < maxSteps; i++) {
    if (g.logs.some((l) => l.msg === 'ban' && l.target === target)) return i;
    step();
    await new Promise((r) => setTimeout(r, 50));
  }
  return maxSteps;
}

/** The elements of the guard's nft sets in `host`. */
export function nftElements(host: Host, table = 'sshwarden'): string[] {
  const r = host.run('nft', ['-j', 'list', 'table', 'inet', table]);
  if (r.status !== 0) return [];
  const out: string[] = [];
  for (const o of (JSON.parse(r.stdout) as { nftables: { set?: { name: string; elem?: unknown[] } }[] }).nftables) {
    if (!o.set || !/^ban[46](p|net)?$/.test(o.set.name)) continue;
    const suffix = o.set.name === 'ban4p' ? '/24' : o.set.name === 'ban6p' ? '/64' : '';
    for (const e of o.set.elem ?? []) out.push(elemText(e) + suffix);
  }
  return out;
}

function elemText(el: unknown): string {
  if (typeof el === 'string') return el;
  const o = el as { elem?: { val: unknown }; prefix?: { addr: string; len: number } };
  if (o.elem) return elemText(o.elem.val);
  if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`;
  return JSON.stringify(el);
}

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
