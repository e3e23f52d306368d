/**
 * The daemon's control socket: a Unix socket (mode 0600 in a 0700 directory: root only),
 * newline-delimited JSON, one request and one answer per connection. Used by `sshwarden status`,
 * `ban`, `unban`, `allow` and by tests.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'ban'; target: string; seconds: number | null; reason: string; force?: boolean }
  | { cmd: 'unban'; target: string }
  | { cmd: 'allow'; target: string; comment: string | null; remove?: boolean; force?: boolean }
  | { cmd: 'reload' };

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: string };

export function serveControl(path: string, handle: (req: ControlRequest) => Promise<unknown>): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > 65536) return sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl)) as ControlRequest;
      } catch {
        sock.end(`${JSON.stringify({ ok: false, error: 'bad request: not JSON' })}\n`);
        return;
      }
      handle(req).then(
        (result) => sock.end(`${JSON.stringify({ ok: true, result })}\n`),
        (e: Error) => sock.end(`${JSON.stringify({ ok: false, error: e.message })}\n`),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve(server);
    });
  });
}

/** Sends one request; resolves null when no daemon listens on `path`. */
export function askDaemon(path: string, req: ControlRequest, timeoutMs = 10_000): Promise<ControlResponse | null> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`the guard at ${path} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => (buf += d));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') resolve(null);
      else reject(new Error(`${path}: ${e.message}`));
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as ControlResponse);
      } catch {
        reject(new Error(`${path}: bad answer from the guard`));
      }
    });
  });
}
