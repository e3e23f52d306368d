/**
 * `probe` names HTTP even when the server answers with an HTML page and no status line: a real
 * Python http.server (on loopback) answers our SSH identification as an HTTP/0.9 request with
 * its "Error response" page. Before: "text that is not an SSH identification".
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(import.meta.dirname, '../..');
let server: ReturnType<typeof spawn> | null = null;
after(async () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
});

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

test('probe on a web server that answers with an HTML page: HTTP, wrong port', async () => {
  assert.equal(spawnSync('python3', ['-c', 'import http.server']).status, 0, 'python3 is needed (test.sh installs python3-paramiko, which brings it)');
  const port = await freePort();
  server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], { stdio: 'ignore', cwd: '/' });
  const end = Date.now() + 15_000;
  for (;;) {
    const ss = spawnSync('ss', ['-Hltn', 'sport', '=', `:${port}`], { encoding: 'utf8' });
    if (ss.stdout.trim()) break;
    assert.ok(Date.now() < end, 'python3 http.server did not listen within 15 s');
    await sleep(50);
  }
  const r = spawnSync('./sshwarden', ['probe', `127.0.0.1:${port}`], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.match(r.stdout, /this port speaks HTTP, not SSH \(no status line; an HTML page titled "Error response", error code 400\)/, r.stdout + r.stderr);
  assert.match(r.stdout, /\(http\)/);
  assert.doesNotMatch(r.stdout, /text that is not an SSH identification/);
});
