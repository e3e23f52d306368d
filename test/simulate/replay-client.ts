/**
 * Replays an arrival pattern against a real sshd, inside a lab namespace:
 *   node replay-client.ts '<json ReplaySpec>'
 * Connection i is opened `at` ms after the start (from `localAddress` when given), stays silent
 * (or sends only its identification once the server's arrived, `ident`), and is closed (FIN) `holdMs`
 * after it was opened: a TCP connection that holds one pre-auth slot and nothing else. What the CLIENT saw is the ground truth:
 * an `SSH-` identification (admitted) or a close without one (refused; the refusal text sshd
 * writes first, `Exceeded MaxStartups` ≤ 9.7 or `Not allowed at this time` 9.8+, is reported).
 * Bounded: every connection ends by `holdMs` + 3 s, the whole run by `maxMs`.
 * Prints one line: `{"results":[{ "gotBanner", "refusal", "received", "openedAt", "error"? }, …]}`.
 */
import net from 'node:net';

export interface ReplayConn {
  at: number;
  holdMs: number;
  localAddress?: string;
  ident?: boolean;
}

export interface ReplaySpec {
  host: string;
  port: number;
  conns: ReplayConn[];
  /** Hard end of the whole run (default: last at + hold + 10 s). */
  maxMs?: number;
}

export interface ReplayResult {
  gotBanner: boolean;
  /** The refusal text the server sent before closing, if any. */
  refusal: string | null;
  /** First 200 bytes received (latin1). */
  received: string;
  /** When the connection was opened, ms after the start (how late the timer fired). */
  openedAt: number;
  /** When the client closed it (FIN), ms after the start; null when the server closed first. */
  closedAt: number | null;
  error?: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ReplaySpec;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const last = spec.conns.reduce((m, c) => Math.max(m, c.at + c.holdMs), 0);
const hardEnd = setTimeout(() => {
  process.stderr.write('replay-client: maxMs reached\n');
  process.exit(3);
}, spec.maxMs ?? last + 10_000);

function one(c: ReplayConn): Promise<ReplayResult> {
  return new Promise((resolve) => {
    const openedAt = Math.round(performance.now() - t0);
    const data: Buffer[] = [];
    const r: ReplayResult = { gotBanner: false, refusal: null, received: '', openedAt, closedAt: null };
    const sock = net.connect({ host: spec.host, port: spec.port, localAddress: c.localAddress });
    let sentIdent = false;
    const finish = () => {
      const text = Buffer.concat(data).toString('latin1');
      r.received = text.slice(0, 200);
      r.gotBanner = text.startsWith('SSH-');
      const m = /(Exceeded MaxStartups|Not allowed at this time)/.exec(text);
      r.refusal = m ? m[1] : null;
      resolve(r);
    };
    sock.on('data', (b: Buffer) => {
      data.push(b);
      const got = Buffer.concat(data);
      if (c.ident && !sentIdent && r.closedAt === null && got.includes(10) && got.subarray(0, 4).toString('latin1') === 'SSH-') {
        sentIdent = true;
        sock.write('SSH-2.0-sshwarden_replay\r\n');
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => (r.error = e.code ?? e.message));
    sock.on('close', finish);
    const closeAt = setTimeout(() => {
      r.closedAt = Math.round(performance.now() - t0);
      sock.end();
    }, Math.max(0, c.at + c.holdMs - (performance.now() - t0)));
    const killAt = setTimeout(() => sock.destroy(), Math.max(0, c.at + c.holdMs - (performance.now() - t0)) + 3000);
    sock.on('close', () => {
      clearTimeout(closeAt);
      clearTimeout(killAt);
    });
  });
}

const pending: Promise<ReplayResult>[] = spec.conns.map(async (c) => {
  await sleep(Math.max(0, c.at - (performance.now() - t0)));
  return one(c);
});
const results = await Promise.all(pending);
clearTimeout(hardEnd);
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
