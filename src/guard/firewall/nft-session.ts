/**
 * One long-lived `nft -i` process fed one transaction per line on a pipe: a ban costs a pipe
 * write and one netlink transaction (~1 ms here), not a new process (`nft -f -` reads until EOF,
 * so it would need a process per batch: ~10 ms).
 *
 * Protocol (nftables 1.0.x interactive mode): every line is one transaction. Success prints
 * nothing; a failure prints `Error: ...`, the command and a caret line on stderr and changes
 * nothing. So each transaction is followed by a fence: a line that is a syntax error by design
 * (`sshwarden-fence-<n>`), which nft rejects at parse time (no netlink round trip beyond a
 * generation check) with an error block that names the fence. Both blocks come on stderr, in
 * order: when the fence's block arrives, anything before it is the transaction's error, and
 * nothing before it means the transaction is committed. Measured against the earlier
 * confirmation (a counter element added to a small `ack` set and `list set` after each
 * transaction): confirmed in ~1 ms instead of ~3-5 ms, and no list output waking the guard
 * twenty times per ban. Not `nft -e` (echo): echo makes nft load every element of every set
 * before each transaction (~90 ms per ban with 20,000 bans).
 *
 * Two properties of `nft -i` a daemon must not inherit (nft reads its lines with libedit):
 * - libedit keeps every line in an in-memory history for the life of the process (~250 bytes
 *   per transaction: +9 MB after 40,000 here) and writes it to `$HOME/.nft.history` at exit (10 MB
 *   after 45,000 lines, in root's home). The child gets HOME=/dev/null (no history file can be
 *   made under it), and the session is replaced by a fresh process after ROTATE_AFTER
 *   transactions, when idle, so the history it holds stays bounded.
 * - libedit reads a non-terminal stdin one byte per read(2): short lines cost less.
 * We keep exactly one transaction in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FirewallError } from './backend.ts';

/** Transactions one `nft -i` process runs before a fresh one replaces it (bounds libedit's history). */
export const ROTATE_AFTER = 2000;

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class NftSession {
  private readonly argv: readonly string[];
  private child: ChildProcess | null = null;
  private queue: Pending[] = [];
  private inFlight: Pending | null = null;
  private errBuf = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly timeoutMs: number;
  private readonly rotateAfter: number;
  private fenceSeq = Math.floor(Math.random() * 1e9);
  private fence = '';
  /** Transactions the current child has run. */
  private ran = 0;
  /** Processes started (for tests and the rotation figure). */
  spawned = 0;

  /** `argv`: how to run nft, e.g. `['nft']` or `['ip','netns','exec',ns,'nft']`. */
  constructor(argv: readonly string[], timeoutMs = 5000, rotateAfter = ROTATE_AFTER) {
    this.argv = argv;
    this.timeoutMs = timeoutMs;
    this.rotateAfter = rotateAfter;
  }

  /** Runs one transaction (commands joined with `;`, no newlines). Resolves when nft confirms it. */
  run(commands: readonly string[]): Promise<void> {
    const line = commands.join('; ');
    if (line.includes('\n')) return Promise.reject(new FirewallError('internal: newline in nft command'));
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.pump();
    });
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(this.argv[0], [...this.argv.slice(1), '-n', '-i'], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, HOME: '/dev/null' } });
    this.child = child;
    this.ran = 0;
    this.spawned++;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      if (this.child === child) this.onStderr(d);
    });
    child.stdin!.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (this.child !== child) return;
      this.child = null;
      this.failAll(new FirewallError(e.code === 'ENOENT' ? `${this.argv[0]}: not found (install nftables, or choose firewall.backend ipset/command)` : `nft: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // a rotated-out process ending
      this.child = null;
      this.failAll(new FirewallError(`nft exited (${signal ?? code})${this.errBuf ? `: ${this.errBuf.trim().split('\n')[0]}` : ''}`));
    });
    return child;
  }

  private pump(): void {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      if (this.child && this.ran >= this.rotateAfter) this.rotate();
      return;
    }
    const p = this.queue.shift()!;
    this.inFlight = p;
    this.errBuf = '';
    let child: ChildProcess;
    try {
      child = this.ensure();
    } catch (e) {
      this.finish(e as Error);
      return;
    }
    this.timer = setTimeout(() => {
      this.finish(new FirewallError(`nft did not answer within ${this.timeoutMs} ms`));
      this.restart();
    }, this.timeoutMs);
    this.fenceSeq = (this.fenceSeq + 1) % 1e9;
    this.fence = `sshwarden-fence-${this.fenceSeq}`;
    this.ran++;
    child.stdin!.write(`${p.line}\n${this.fence}\n`);
  }

  private onStderr(d: string): void {
    this.errBuf += d;
    if (!this.inFlight) {
      this.errBuf = '';
      return;
    }
    // The fence's block: "Error: syntax error…\n<fence>\n<carets>\n"; complete once the caret line ends.
    const at = this.errBuf.indexOf(`\n${this.fence}\n`);
    if (at < 0) return;
    if (this.errBuf.indexOf('\n', at + this.fence.length + 2) < 0) return;
    const own = this.errBuf.lastIndexOf('Error:', at);
    const before = this.errBuf.slice(0, Math.max(0, own)).trim();
    this.errBuf = '';
    // Only an error block fails the transaction (nft prints nothing else on success; a warning would not undo it).
    this.finish(before.includes('Error:') ? new FirewallError(`nft: ${before.split('\n').join(' | ')}`) : null);
  }

  private finish(err: Error | null): void {
    const p = this.inFlight;
    if (!p) return;
    this.inFlight = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (err) p.reject(err);
    else p.resolve();
    this.pump();
  }

  private failAll(err: Error): void {
    this.finish(err);
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
  }

  /** Idle after ROTATE_AFTER transactions: the old process ends (stdin closed), a fresh one starts now, off the next ban's path. */
  private rotate(): void {
    const old = this.child;
    this.child = null;
    if (old) endChild(old);
    try {
      this.ensure();
    } catch {
      // started again on the next transaction
    }
  }

  private restart(): void {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGKILL');
  }

  close(): void {
    const c = this.child;
    this.child = null;
    if (c) endChild(c);
  }
}

/** Ends an `nft -i` child: EOF on stdin, SIGKILL if it has not gone within a second. */
function endChild(c: ChildProcess): void {
  c.stdin!.end();
  const t = setTimeout(() => c.exitCode === null && c.kill('SIGKILL'), 1000);
  t.unref();
}
