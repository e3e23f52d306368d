/**
 * One long-lived `nft -i` process fed one transaction per line on a pipe: a ban costs a pipe
 * write and one netlink transaction (~1-2 ms here), not a new process (`nft -f -` reads until
 * EOF, so it would need a process per batch: ~10 ms).
 *
 * Protocol (nftables 1.0.x interactive mode): every line is one transaction. A failure prints
 * `Error: ...` + the command + a caret line on stderr and changes nothing. Success prints nothing,
 * so each transaction also adds a fresh element (a counter value, 3 s timeout) to a small `ack`
 * set, and the next line lists that set: the value in the listing confirms the whole transaction
 * (a failed one lists the set without it). Not `nft -e` (echo): echo makes nft load its whole
 * cache, every element of every set, before each transaction: ~90 ms per ban with 20,000 bans
 * in the sets here, against ~2 ms this way (listing the small ack set loads only that set). We
 * keep exactly one transaction in flight; after a failure we wait briefly so late stderr is not
 * blamed on the next line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FirewallError } from './backend.ts';

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
  private outBuf = '';
  private errBuf = '';
  private timer: NodeJS.Timeout | null = null;
  private errTimer: NodeJS.Timeout | null = null;
  private readonly timeoutMs: number;
  private readonly ackSet: string;
  private ackSeq = 1024 + Math.floor(Math.random() * 60000);
  private ackRe: RegExp | null = null;

  /**
   * `argv`: how to run nft, e.g. `['nft']` or `['ip','netns','exec',ns,'nft']`.
   * `ackSet`: e.g. `inet sshwarden ack`, a set `{ type inet_service; flags timeout; }` (created by the caller).
   */
  constructor(argv: readonly string[], ackSet: string, timeoutMs = 5000) {
    this.argv = argv;
    this.ackSet = ackSet;
    this.timeoutMs = timeoutMs;
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
    const child = spawn(this.argv[0], [...this.argv.slice(1), '-n', '-i'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.onStdout(d));
    child.stderr!.on('data', (d: string) => this.onStderr(d));
    child.stdin!.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      this.failAll(new FirewallError(e.code === 'ENOENT' ? `${this.argv[0]}: not found (install nftables, or choose firewall.backend ipset/command)` : `nft: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      this.failAll(new FirewallError(`nft exited (${signal ?? code})${this.errBuf ? `: ${this.errBuf.trim().split('\n')[0]}` : ''}`));
    });
    return child;
  }

  private pump(): void {
    if (this.inFlight || this.errTimer || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.inFlight = p;
    this.outBuf = '';
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
    // Values 1024..65535 cycle; a value is reused only after ~64k transactions, long after its 3 s timeout.
    this.ackSeq = this.ackSeq >= 65535 ? 1024 : this.ackSeq + 1;
    // In the listing: `elements = { 1025 timeout 3s expires 2s996ms, 1026 timeout …` (long sets wrap lines).
    this.ackRe = new RegExp(`[\\s{,]${this.ackSeq} timeout`);
    child.stdin!.write(`${p.line}; add element ${this.ackSet} { ${this.ackSeq} timeout 3s }\nlist set ${this.ackSet}\n`);
  }

  private onStdout(d: string): void {
    this.outBuf += d;
    if (this.inFlight && this.ackRe && this.ackRe.test(this.outBuf)) {
      this.outBuf = '';
      this.finish(null);
    } else if (!this.inFlight) this.outBuf = '';
  }

  private onStderr(d: string): void {
    this.errBuf += d;
    if (!this.inFlight) return;
    // An error block is "Error: msg\n<command>\n<carets>\n"; wait for the caret line (or a moment).
    if (/\^+\s*\n/.test(this.errBuf) || /Error: .*\n/.test(this.errBuf)) {
      const msg = this.errBuf;
      setTimeout(() => {
        if (this.inFlight) this.finish(new FirewallError(`nft: ${(this.errBuf || msg).trim().split('\n').join(' | ')}`));
      }, 5);
    }
  }

  private finish(err: Error | null): void {
    const p = this.inFlight;
    if (!p) return;
    this.inFlight = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (err) {
      p.reject(err);
      // Let stray stderr of the failed line arrive before the next line goes out.
      this.errTimer = setTimeout(() => {
        this.errTimer = null;
        this.errBuf = '';
        this.pump();
      }, 20);
    } else {
      p.resolve();
      this.pump();
    }
  }

  private failAll(err: Error): void {
    this.finish(err);
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(err);
  }

  private restart(): void {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) c.kill('SIGKILL');
  }

  close(): void {
    const c = this.child;
    this.child = null;
    if (c) {
      c.stdin!.end();
      const t = setTimeout(() => c.exitCode === null && c.kill('SIGKILL'), 1000);
      t.unref();
    }
  }
}
