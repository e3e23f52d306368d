/**
 * The guard daemon's config loader: validates the config in a short-lived child process
 * (config-apart-main.ts) and takes the result back as JSON. The validator's modules (zod, yaml:
 * 1.1 MB of source in ~170 modules) are then never loaded into the long-running daemon, where
 * Node would keep their source text and code for good (~10-20 MB of RSS). Same result and the
 * same error lines as config.ts's loadConfig; the child is bounded in time and output.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config-default.ts';
import type { GuardConfig } from './config.ts';

const ENTRY = fileURLToPath(new URL('./config-apart-main.ts', import.meta.url));
/** A valid config's JSON is a few KB, its error lines fewer: past this the child is stopped. */
const MAX_OUTPUT = 1 << 20;
const TIMEOUT_MS = 60_000;

/** Like loadConfig (config.ts): the validated config, or ConfigError with the same lines. Other failures: Error. */
export function loadConfigApart(file: string, opts: { optional?: boolean } = {}): Promise<GuardConfig> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ENTRY, file, opts.optional ? 'optional' : 'required'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: string | null = null;
    const stop = (why: string): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(`no answer within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);
    const take = (into: Buffer[]) => (d: Buffer) => {
      size += d.length;
      if (size > MAX_OUTPUT) stop(`more than ${MAX_OUTPUT} bytes of output`);
      else into.push(d);
    };
    child.stdout.on('data', take(out));
    child.stderr.on('data', take(err));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${file}: cannot start the config check (${process.execPath}): ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (failure === null && code === 0) {
        try {
          resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as GuardConfig);
          return;
        } catch {
          failure = 'its answer is not JSON';
        }
      }
      if (failure === null && code === 2) reject(new ConfigError(file, stderr));
      else reject(new Error(`${file}: the config check failed (${failure ?? (signal ? `signal ${signal}` : `exit ${code}`)})${stderr.trim() ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
    });
  });
}
