/**
 * A scripted TCP (or TLS) client run inside a lab namespace with `node raw-client.ts '<json spec>'`
 * (see `RawSpec` in ./clients.ts, which runs it). It opens `count` connections one after the
 * other and reports, per connection, what the CLIENT saw: its own local address and port (read
 * from the socket), whether the server sent an SSH identification, what it received, and who
 * closed. This is the ground truth of the lab scenarios; nothing here reads sshd's log.
 *
 * Output on stdout: `{"ready":true}` once every connection has reached its hold point (for
 * `then: "hold"`), then one final line `{"results":[…]}`. A line on stdin releases held
 * connections (closed with FIN); they are released anyway after `holdMs`.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { RawResult, RawSpec } from './clients.ts';

/** What it is asked to do (JSON on argv): the shape documented in clients.ts. */
type Spec = RawSpec;

/** What it prints (as JSON): the shape documented in clients.ts. */
type Result = RawResult;

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const count = spec.count ?? 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Conn {
  sock: net.Socket;
  result: Result;
  done: Promise<void>;
  started: number;
  data: Buffer[];
}

function open(): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock = net.connect({ host: spec.host, port: spec.port });
    const result: Result = { localAddress: '', localPort: 0, gotBanner: false, serverIdent: null, received: '', closedBy: 'client', elapsedMs: 0 };
    const data: Buffer[] = [];
    let settled = false;
    let closeResolve!: () => void;
    const done = new Promise<void>((r) => (closeResolve = r));
    if (!spec.tls) sock.on('data', (b: Buffer) => data.push(b));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      result.error = e.code ?? e.message;
      if (e.code === 'ECONNRESET') result.closedBy = 'reset';
      else if (result.closedBy === 'client') result.closedBy = 'error';
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    sock.on('end', () => {
      if (result.closedBy === 'client') result.closedBy = 'server';
    });
    sock.on('close', () => {
      result.elapsedMs = Date.now() - started;
      closeResolve();
    });
    sock.once('connect', () => {
      settled = true;
      result.localAddress = sock.localAddress ?? '';
      result.localPort = sock.localPort ?? 0;
      if (spec.tls) {
        // A TLS ClientHello on the raw connection (the handshake itself fails against sshd).
        const t = tls.connect({ socket: sock, rejectUnauthorized: false, servername: 'lab.example' });
        t.on('error', (e: NodeJS.ErrnoException) => (result.error = e.code ?? e.message));
        t.on('data', (b: Buffer) => data.push(b));
      }
      resolve({ sock, result, done, started, data });
    });
  });
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(10);
  }
  return true;
}

function text(c: Conn): string {
  return Buffer.concat(c.data).toString('latin1');
}

async function drive(c: Conn): Promise<void> {
  const closed = () => c.sock.destroyed || c.result.closedBy !== 'client';
  if (spec.waitBanner !== false) await until(() => text(c).includes('\n') || closed(), spec.bannerTimeoutMs ?? 2000);
  const t = text(c);
  const first = t.split('\n')[0].replace(/\r$/, '');
  c.result.gotBanner = first.startsWith('SSH-');
  c.result.serverIdent = c.result.gotBanner ? first : null;
  if (spec.send !== undefined && !closed()) {
    c.sock.write(Buffer.from(spec.send, 'latin1'));
    await until(closed, spec.afterSendMs ?? 300);
  }
}

async function finish(c: Conn, how: 'close' | 'reset'): Promise<void> {
  if (!c.sock.destroyed && c.result.closedBy === 'client') {
    if (how === 'reset') c.sock.resetAndDestroy();
    else c.sock.end();
  }
  await Promise.race([c.done, sleep(3000)]);
  if (!c.sock.destroyed) c.sock.destroy();
}

const conns: Conn[] = [];
for (let i = 0; i < count; i++) {
  try {
    const c = await open();
    conns.push(c);
    await drive(c);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`);
    process.exit(2);
  }
}

if (spec.then === 'hold') {
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let released = false;
  process.stdin.once('data', () => (released = true));
  await until(() => released, spec.holdMs ?? 10_000);
  process.stdin.pause();
  for (const c of conns) await finish(c, 'close');
} else if (spec.then === 'wait-server') {
  for (const c of conns) {
    await until(() => c.sock.destroyed || c.result.closedBy !== 'client', spec.holdMs ?? 15_000);
    await finish(c, 'close');
  }
} else {
  for (const c of conns) await finish(c, spec.then);
}

for (const c of conns) c.result.received = text(c).slice(0, 300);
process.stdout.write(`${JSON.stringify({ results: conns.map((c) => c.result) })}\n`);
process.exit(0);
