/** Runs a firewall program once (argument array, optional stdin), with a time limit. Never a shell. */
import { spawn } from 'node:child_process';
import { FirewallError } from './backend.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runProgram(argv: readonly string[], input?: string, timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new FirewallError(e.code === 'ENOENT' ? `${argv[0]}: not found (is it installed and in PATH?)` : `${argv[0]}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

export async function checkProgram(argv: readonly string[], input?: string): Promise<string> {
  const r = await runProgram(argv, input);
  if (r.code !== 0) throw new FirewallError(`${argv.join(' ')} failed (exit ${r.code}): ${firstLines(r.stderr || r.stdout)}`);
  return r.stdout;
}

export function firstLines(s: string, n = 3): string {
  return s.trim().split('\n').slice(0, n).join(' | ');
}
