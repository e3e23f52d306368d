/** Runs the sshwarden CLI for the fault tests, sampling its peak RSS (VmHWM) until it exits. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MAIN } from '../guard/guard-lab.ts';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  peakKb: number;
  ms: number;
}

/** Runs the CLI; `feed` writes its stdin; samples VmHWM until it exits (bounded by `timeoutMs`). */
export function sshwarden(args: string[], opts: { feed?: (w: NodeJS.WritableStream) => void; timeoutMs?: number; shell?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const t0 = Date.now();
  const child = opts.shell
    ? spawn('bash', ['-c', opts.shell, 'sh', process.execPath, MAIN], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env })
    : spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env });
  let stdout = '';
  let stderr = '';
  let peakKb = 0;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.feed) opts.feed(child.stdin!);
  else child.stdin!.end();
  const sample = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited
    }
  }, 25);
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (status) => {
      clearInterval(sample);
      clearTimeout(kill);
      resolve({ status, stdout, stderr, peakKb, ms: Date.now() - t0 });
    });
  });
}

