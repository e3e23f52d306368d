/**
 * Issue 10, "Reads without bounds": device files, huge and binary files, paused pipes and FIFOs
 * for explain-client and analyze; a trickling and an oversized server for probe. Every command
 * is the real CLI; servers are loopback TCP servers run by this test; memory is the process's
 * peak RSS (VmHWM, sampled until it exits).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN } from '../guard/guard-lab.ts';
import { sshwarden } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sshwarden-faults-reads-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const MB = 1024;

test('issue 10 "explain-client /dev/zero grows to 3.6 GB": stops at the 32 MB limit with one clear line', async () => {
  const r = await sshwarden(['explain-client', '/dev/zero'], { timeoutMs: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/dev\/zero: larger than 32 MB/);
  assert.ok(r.peakKb < 300 * MB, `peak RSS ${r.peakKb} kB`);
});

test('issue 10 "a 500 MB file is read whole before the 32 MB limit is checked": refused without reading it', async () => {
  const big = join(dir, 'big.txt');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 500 * 1024 * 1024); // sparse: no disk used
  closeSync(fd);
  const r = await sshwarden(['explain-client', big]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /big\.txt: larger than 32 MB/);
  assert.ok(r.peakKb < 300 * MB, `peak RSS ${r.peakKb} kB`);
});

test('issue 10 "5 MB of random binary exits 1": exit 2, not ssh output', async () => {
  const bin = join(dir, 'random.bin');
  writeFileSync(bin, spawnSync('head', ['-c', String(5 * 1024 * 1024), '/dev/urandom'], { maxBuffer: 8 << 20 }).stdout);
  const r = await sshwarden(['explain-client', bin]);
  assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /binary data, not ssh output/);
});

test('issue 10 "ssh -vvv … 2>&1 | sshwarden explain-client - returns EAGAIN": a pipe that pauses is waited for', async () => {
  // Node's pipes are non-blocking sockets: exactly what made the old readFileSync(0) fail with EAGAIN.
  const r = await sshwarden(['explain-client', '-'], {
    feed: (w) => {
      w.write('OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.22 25 Aug 2026\ndebug1: Connecting to 192.0.2.1 [192.0.2.1] port 22.\n');
      setTimeout(() => w.end('ssh: connect to host 192.0.2.1 port 22: Connection refused\n'), 1500);
    },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /connection refused/i);
  // And a real ssh -vvv that pauses (the server accepts and stays silent for 1.5 s, then closes).
  const silent = net.createServer((s) => setTimeout(() => s.destroy(), 1500));
  await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
  const port = (silent.address() as net.AddressInfo).port;
  const ssh = spawn('ssh', ['-vvv', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-p', String(port), 'probe@127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r2 = await sshwarden(['explain-client', '-'], {
    feed: (w) => {
      let open = 2;
      const done = () => --open === 0 && w.end();
      ssh.stdout!.on('data', (d) => w.write(d));
      ssh.stderr!.on('data', (d) => w.write(d));
      ssh.stdout!.on('end', done);
      ssh.stderr!.on('end', done);
    },
  });
  silent.close();
  assert.equal(r2.status, 1, r2.stderr);
  assert.match(r2.stdout, /kex_exchange_identification|closed/i);
});

test('issue 10 "analyze on a FIFO or <(…) fails with ESPIPE; with no writer it blocks silently"', async () => {
  const log = join(dir, 'auth.log');
  writeFileSync(log, 'Nov 21 20:53:43 srv sshd[100]: Connection closed by 198.51.100.1 port 4000 [preauth]\n'.repeat(50));
  const sub = await sshwarden([], { shell: `"$1" --disable-warning=ExperimentalWarning "$2" analyze <(cat ${JSON.stringify(log)})` });
  assert.equal(sub.status, 0, sub.stderr);
  assert.doesNotMatch(sub.stderr, /ESPIPE/);
  assert.match(sub.stdout, /50 sshd lines/);
  const fifo = join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, 'analyze', fifo], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('close', res));
  // No writer: it says so (not a silent hang) ...
  for (let i = 0; i < 150 && !/waiting for a writer/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(err, /fifo: waiting for a writer on this FIFO/);
  // ... and reads the writer that comes late.
  const w = spawn('sh', ['-c', 'cat "$0" > "$1"', log, fifo], { stdio: 'ignore' });
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const status = await exited;
  clearTimeout(kill);
  w.kill();
  assert.equal(status, 0, err);
  assert.match(out, /50 sshd lines/);
  const dz = await sshwarden(['analyze', '/dev/zero'], { timeoutMs: 20_000 });
  assert.equal(dz.status, 3, dz.stderr);
  assert.match(dz.stderr, /\/dev\/zero: cannot read: is a device, not a log file/);
});

/** A loopback "SSH server" that runs `behave` on each connection. */
async function server(behave: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const socks: net.Socket[] = [];
  const srv = net.createServer((s) => {
    socks.push(s);
    s.on('error', () => {});
    behave(s);
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of socks) s.destroy();
      srv.close();
    },
  };
}

/** An SSH binary packet around `payload` (no MAC: before key exchange). */
function packet(payload: Buffer): Buffer {
  let pad = 8 - ((payload.length + 5) % 8);
  if (pad < 4) pad += 8;
  const b = Buffer.alloc(5 + payload.length + pad);
  b.writeUInt32BE(1 + payload.length + pad, 0);
  b[4] = pad;
  payload.copy(b, 5);
  return b;
}

function kexinit(kexNames: string[]): Buffer {
  const lists = [kexNames.join(','), 'ssh-ed25519', 'aes128-ctr', 'aes128-ctr', 'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none', '', ''];
  const parts: Buffer[] = [Buffer.from([20]), Buffer.alloc(16, 7)];
  for (const l of lists) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(l));
    parts.push(len, Buffer.from(l));
  }
  parts.push(Buffer.from([0, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

test('issue 10 "probe --timeout is reset by every byte": a server trickling a byte every 0.4 s ends at --timeout', async () => {
  // Faster than the probe's 1 s settle after non-SSH text (a byte a second raced that timer), slow enough to reset any per-byte timer.
  const s = await server((sock) => {
    const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write('x')), 400);
    sock.on('close', () => clearInterval(t));
  });
  const r = await sshwarden(['probe', `127.0.0.1:${s.port}`, '--timeout', '3', '--json'], { timeoutMs: 60_000 });
  s.close();
  assert.ok(r.ms < 15_000, `probe took ${r.ms} ms with --timeout 3`);
  assert.match(r.stdout, /deadline|slow trickle/);
});

test('issue 10 "a legal 200 KB KEXINIT is reported as closed before KEXINIT": read whole; over 256 KB: "too large"', async () => {
  const names = ['curve25519-sha256'];
  while (names.join(',').length < 200 * 1024) names.push(`x-padding-${names.length}@example.org`);
  const big = await server((sock) => {
    sock.write('SSH-2.0-OpenSSH_9.9 test\r\n');
    sock.write(packet(kexinit(names)));
  });
  const r = await sshwarden(['probe', `127.0.0.1:${big.port}`, '--timeout', '5', '--json']);
  big.close();
  const j = JSON.parse(r.stdout) as { addresses: { ssh?: { kexinitError: string | null; algorithms: { kex: string[] } | null } }[] };
  const ssh = JSON.stringify(j);
  assert.doesNotMatch(ssh, /closed before sending its KEXINIT/);
  assert.match(ssh, /x-padding-5000@example\.org/, 'the 200 KB KEXINIT was parsed');
  const huge = await server((sock) => {
    sock.write('SSH-2.0-OpenSSH_9.9 test\r\n');
    const hdr = Buffer.alloc(5);
    hdr.writeUInt32BE(300 * 1024);
    hdr[4] = 4;
    sock.write(Buffer.concat([hdr, Buffer.alloc(300 * 1024, 0x61)]));
  });
  const r2 = await sshwarden(['probe', `127.0.0.1:${huge.port}`, '--timeout', '5', '--json']);
  huge.close();
  assert.match(r2.stdout, /too large/);
});
