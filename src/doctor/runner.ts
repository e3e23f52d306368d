/**
 * The I/O edge of the live checks: commands (argument arrays, never a shell), bounded in time
 * and output, and bounded file reads. Checks take a `Runner`, so tests can feed recorded outputs.
 */
import { spawn } from 'node:child_process';
import { open, readlink, stat } from 'node:fs/promises';

export interface CommandResult {
  /** Exit status 0. */
  ok: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run to the end: the program is missing, it timed out, or another spawn error. */
  failure?: 'missing' | 'timeout' | 'error';
}

export interface FileInfo {
  mtimeMs: number;
  mode: number;
  uid: number;
  size: number;
  isDirectory: boolean;
}

export interface Runner {
  run(cmd: string, args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** Text of a file (at most maxBytes), or an error word (ENOENT, EACCES, ...). */
  readFile(path: string, maxBytes?: number): Promise<{ text: string } | { error: string }>;
  stat(path: string): Promise<FileInfo | { error: string }>;
  /** Target of a symbolic link (e.g. /proc/PID/ns/net), or an error word (ENOENT: a process that has exited; EACCES: another user's). */
  readlink(path: string): Promise<{ target: string } | { error: string }>;
  readonly isRoot: boolean;
  /** Milliseconds since the epoch. */
  now(): number;
}

const MAX_OUTPUT = 8 * 1024 * 1024;

export function realRunner(): Runner {
  return {
    isRoot: process.getuid?.() === 0,
    now: () => Date.now(),
    run(cmd, args, timeoutMs = 5000) {
      return new Promise((resolve) => {
        let stdout = '';
        let stderr = '';
        let done = false;
        let timedOut = false;
        const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        const finish = (r: CommandResult) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(r);
        };
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          if (stdout.length < MAX_OUTPUT) stdout += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          if (stderr.length < MAX_OUTPUT) stderr += d;
        });
        child.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, status: null, stdout, stderr: e.message, failure: e.code === 'ENOENT' ? 'missing' : 'error' }));
        child.on('close', (status) => finish({ ok: status === 0 && !timedOut, status, stdout, stderr, failure: timedOut ? 'timeout' : undefined }));
      });
    },
    async readFile(path, maxBytes = 4 * 1024 * 1024) {
      try {
        const fh = await open(path, 'r');
        try {
          const buf = Buffer.alloc(maxBytes);
          const { bytesRead } = await fh.read(buf, 0, maxBytes, 0);
          return { text: buf.subarray(0, bytesRead).toString('utf8') };
        } finally {
          await fh.close();
        }
      } catch (e) {
        return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
    },
    async readlink(path) {
      try {
        return { target: await readlink(path) };
      } catch (e) {
        return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
    },
    async stat(path) {
      try {
        const s = await stat(path);
        return { mtimeMs: s.mtimeMs, mode: s.mode, uid: s.uid, size: s.size, isDirectory: s.isDirectory() };
      } catch (e) {
        return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
    },
  };
}

/** "could not look" text for a command that did not run to the end, or null when it did. */
export function cannotRun(cmd: string, r: CommandResult): string | null {
  if (r.failure === 'missing') return `${cmd} is not installed`;
  if (r.failure === 'timeout') return `${cmd} timed out`;
  if (r.failure === 'error') return `${cmd} could not run: ${r.stderr.trim()}`;
  return null;
}

/** `$ cmd args` as evidence `where`. */
export function commandText(cmd: string, args: readonly string[]): string {
  return `$ ${[cmd, ...args].join(' ')}`;
}
