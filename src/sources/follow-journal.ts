/**
 * Follows journald live, for the guard: one long-lived `journalctl -f -o json` (no polling:
 * journalctl waits on inotify itself), matching the ssh units and the sshd program names
 * (`sshd-session` and `sshd-auth` processes of 9.8+/10.x log under their own identifiers, and
 * post-login lines come from session scopes, not the ssh unit). Each JSON record is delivered
 * with its `__CURSOR`; the guard persists the last one and resumes with `--after-cursor`, so a
 * restart neither loses nor repeats records. Starts at the end by default (`-n 0`), at the
 * beginning of the journal with `start: 'beginning'` (`--replay`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface JournalFollowerOptions {
  /** `end`, `beginning`, or a cursor to resume after. */
  start: 'end' | 'beginning' | { cursor: string };
  /** systemd units to follow (default ssh.service, sshd.service). */
  units?: readonly string[];
  /** How to run journalctl: default `['journalctl']` (tests may add `--directory=...`). */
  command?: readonly string[];
  /** Records (one JSON object per line) and the cursor of the last one. */
  onRecords(lines: string[], lastCursor: string | null): void;
  /** Following starts after this cursor (the journal's end at a first start): where a restart must resume. */
  onStartCursor?(cursor: string): void;
  onNotice?(message: string): void;
  /** journalctl ended (error or killed); the guard restarts it from the last cursor. */
  onExit?(reason: string): void;
}

const IDENTIFIERS = ['sshd', 'sshd-session', 'sshd-auth'];

/** The journalctl argument list (exported for tests and `--help`). */
export function journalctlArgs(opts: Pick<JournalFollowerOptions, 'start' | 'units'>): string[] {
  const args = ['-f', '-o', 'json', '--no-pager', '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,_EXE,_UID,_TRANSPORT,_HOSTNAME,__REALTIME_TIMESTAMP,__CURSOR'];
  if (opts.start === 'end') args.push('-n', '0');
  else if (opts.start === 'beginning') args.push('-n', 'all');
  else args.push(`--after-cursor=${opts.start.cursor}`, '-n', 'all');
  const matches: string[] = [];
  for (const u of opts.units ?? ['ssh.service', 'sshd.service']) matches.push(`_SYSTEMD_UNIT=${u}`);
  for (const id of IDENTIFIERS) matches.push(`SYSLOG_IDENTIFIER=${id}`);
  matches.forEach((m, i) => {
    if (i > 0) args.push('+');
    args.push(m);
  });
  return args;
}

const CURSOR_RE = /"__CURSOR"\s*:\s*"([^"]*)"/;

export class JournalFollower {
  private readonly opts: JournalFollowerOptions;
  private child: ChildProcess | null = null;
  private partial = '';
  private stopped = false;
  lastCursor: string | null = null;

  constructor(opts: JournalFollowerOptions) {
    this.opts = opts;
    if (typeof opts.start === 'object') this.lastCursor = opts.start.cursor;
  }

  /**
   * Starting "from the end" asks journalctl for the cursor of the journal's last entry first and
   * then follows after it: `journalctl -f -n 0` was seen to skip the first matching entry that
   * follows a non-matching one (systemd 252).
   */
  start(): void {
    const cmd = this.opts.command ?? ['journalctl'];
    if (!this.lastCursor && this.opts.start === 'end') {
      execFile(cmd[0], [...cmd.slice(1), '-n', '0', '--show-cursor', '--no-pager', '-q'], { timeout: 15_000 }, (err, stdout) => {
        if (this.stopped) return;
        const m = /^-- cursor: (.+)$/m.exec(stdout ?? '');
        if (m) {
          this.lastCursor = m[1].trim();
          this.opts.onStartCursor?.(this.lastCursor);
        }
        else if (err) this.opts.onNotice?.(`journalctl --show-cursor failed (${err.message}); following with -n 0`);
        this.follow(cmd);
      });
      return;
    }
    this.follow(cmd);
  }

  private follow(cmd: readonly string[]): void {
    const start = this.lastCursor ? { cursor: this.lastCursor } : this.opts.start;
    const child = spawn(cmd[0], [...cmd.slice(1), ...journalctlArgs({ start, units: this.opts.units })], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.onData(d));
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      err += d;
      if (err.length > 4000) err = err.slice(-4000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      this.opts.onExit?.(e.code === 'ENOENT' ? `${cmd[0]}: not found (no systemd journal here? set log.source: files)` : `${cmd[0]}: ${e.message}`);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.stopped) this.opts.onExit?.(`journalctl exited (${signal ?? code})${err ? `: ${err.trim().split('\n')[0]}` : ''}`);
    });
  }

  private onData(d: string): void {
    const text = this.partial + d;
    const lastNl = text.lastIndexOf('\n');
    if (lastNl === -1) {
      this.partial = text;
      return;
    }
    this.partial = text.slice(lastNl + 1);
    const lines = text.slice(0, lastNl).split('\n').filter((l) => l.length > 0);
    if (lines.length === 0) return;
    const m = CURSOR_RE.exec(lines[lines.length - 1]);
    if (m) this.lastCursor = m[1];
    this.opts.onRecords(lines, this.lastCursor);
  }

  stop(): void {
    this.stopped = true;
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGTERM');
  }
}
