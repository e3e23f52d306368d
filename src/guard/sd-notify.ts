/**
 * systemd's readiness, status and watchdog notifications (`Type=notify`, `NotifyAccess=all`,
 * `WatchdogSec=`) for the guard. Node.js cannot send a datagram on a Unix socket itself, so each
 * notification runs `systemd-notify` (argument list, no shell); systemd 252's systemd-notify
 * waits until the manager has processed the message, so a short-lived sender is still credited
 * to the unit. Notifications go out one at a time, in order: two `systemd-notify` processes
 * started together may reach the manager in either order, so a quick `ready` + status change
 * could leave the older status line showing. Without NOTIFY_SOCKET (not under systemd) every call
 * does nothing.
 */
import { spawn } from 'node:child_process';

export class SystemdNotifier {
  private readonly enabled: boolean;
  private readonly watchdogUsec: number | null;
  private timer: NodeJS.Timeout | null = null;
  private lastStatus = '';
  private failed = false;
  /** Notifications waiting for the one in flight (bounded: the oldest are dropped). */
  private readonly queue: string[][] = [];
  private sending = false;
  private readonly onError: (message: string) => void;

  constructor(env: NodeJS.ProcessEnv, onError: (message: string) => void) {
    this.enabled = Boolean(env.NOTIFY_SOCKET);
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogUsec = this.enabled && forUs && Number.isFinite(usec) && usec > 0 ? usec : null;
    this.onError = onError;
  }

  /** Start-up finished: `systemctl start` returns now. Starts the watchdog pings when systemd asked for them. */
  ready(status: string): void {
    this.send(['--ready', `--status=${status}`]);
    this.lastStatus = status;
    if (this.watchdogUsec !== null && !this.timer) {
      // Ping at half the interval, as sd_watchdog_enabled(3) recommends.
      this.timer = setInterval(() => this.send(['WATCHDOG=1']), Math.max(1000, this.watchdogUsec / 2000));
      this.timer.unref();
    }
  }

  /** The one-line status `systemctl status` shows (sent only when it changes). */
  status(text: string): void {
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    this.send([`--status=${text}`]);
  }

  stopping(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.send(['STOPPING=1']);
  }

  private send(args: string[]): void {
    if (!this.enabled) return;
    this.queue.push(args);
    if (this.queue.length > 16) this.queue.shift();
    this.next();
  }

  private next(): void {
    if (this.sending) return;
    const args = this.queue.shift();
    if (!args) return;
    this.sending = true;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.sending = false;
      this.next();
    };
    const child = spawn('systemd-notify', args, { stdio: 'ignore', timeout: 10_000 });
    child.on('error', (e) => {
      this.fail(`systemd-notify: ${e.message}`);
      finish();
    });
    child.on('exit', (code, signal) => {
      if (code !== 0) this.fail(`systemd-notify ${args[0]} exited (${signal ?? code})`);
      finish();
    });
  }

  /** Reported once: a broken notifier must not flood the log. */
  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(message);
  }
}
