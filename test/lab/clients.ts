/**
 * Real clients run inside a lab Host, each reporting the client's own side of the connection
 * (source address and port, what it sent, what it saw). Used as ground truth by lab tests.
 *
 * How the client's source port is known (never from the server's log):
 *   - OpenSSH `ssh` / `ssh-keyscan`: before each run the client namespace's ephemeral port range
 *     (`net.ipv4.ip_local_port_range`, per network namespace, used for IPv4 and IPv6) is narrowed
 *     to ONE fresh port, so the kernel can only use that port; a run that could not get it fails
 *     with "Cannot assign requested address" and the helper throws.
 *   - `curl`: `--local-port`.
 *   - raw TCP/TLS clients (./raw-client.ts): `socket.localPort` (from a fresh block of ports).
 *
 *   runSsh(cli, { target: srv.v4, user: 'root', key: sshd.clientKey })       → SshRun
 *   runSsh(cli, { target: srv.v4, user: 'admin', password: 'x', tries: 3 })   (SSH_ASKPASS, no tty)
 *   const s = startSsh(cli, { …, command: 'sleep 20' }); …; await s.done         (in the background)
 *   runKeyscan(cli, srv.v4)                                                  → ClientRun
 *   runCurl(cli, `http://${srv.v4}:22/`)                                      → ClientRun
 *   runRaw(cli, { host: srv.v4, port: 22, then: 'reset' })                    → RawResult[]
 *   const flood = spawnRaw(cli, { host, port, count: 6, then: 'hold' }); await flood.ready; flood.release(); await flood.results
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Host } from './netns.ts';

export const RAW_CLIENT = fileURLToPath(new URL('./raw-client.ts', import.meta.url));

/** What the raw client saw on one connection. */
export interface RawResult {
  localAddress: string;
  localPort: number;
  /** The server sent an `SSH-…` identification line. */
  gotBanner: boolean;
  serverIdent: string | null;
  /** First 300 bytes the client received (latin1). */
  received: string;
  /** Who ended the connection: us (FIN or RST as asked), the server (FIN), a reset from the server, or an error. */
  closedBy: 'client' | 'server' | 'reset' | 'error';
  elapsedMs: number;
  error?: string;
}

export interface RawSpec {
  host: string;
  port: number;
  count?: number;
  /** Bytes to send (latin1) once the server's identification arrived (or at once if waitBanner is false). */
  send?: string;
  /** Wait for the server's first line before acting (default true). */
  waitBanner?: boolean;
  /** After `send`, wait this long for server data before `then` (default 300 ms). */
  afterSendMs?: number;
  /** close: FIN; reset: RST; hold: keep open until stdin/holdMs; wait-server: keep open until the server closes (bounded by holdMs). */
  then: 'close' | 'reset' | 'hold' | 'wait-server';
  holdMs?: number;
  tls?: boolean;
  /** How long to wait for the banner or a server close (default 2000 ms). */
  bannerTimeoutMs?: number;
}

export interface ClientRun {
  src: string;
  srcPort: number;
  status: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface SshRun extends ClientRun {
  /** The server let us in (the remote command ran). */
  loggedIn: boolean;
}

const nextPortByNs = new Map<string, number>();

/** A fresh source port for this host (40000 up; every namespace has its own range). */
export function freshPort(host: Host): number {
  const p = nextPortByNs.get(host.ns) ?? 40000;
  nextPortByNs.set(host.ns, p + 1);
  if (p > 60000) throw new Error('lab: out of source ports');
  return p;
}

/** Narrows the host namespace's ephemeral port range to [lo, hi] (both IPv4 and IPv6). */
export function setEphemeralRange(host: Host, lo: number, hi: number = lo): void {
  host.check('sysctl', ['-q', '-w', `net.ipv4.ip_local_port_range=${lo} ${hi}`]);
}

let scratch: string | null = null;
function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(join(tmpdir(), 'sshwarden-clients-'));
    scratch = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const askpass = join(scratch, 'askpass.sh');
    writeFileSync(askpass, '#!/bin/sh\nprintf \'%s\\n\' "$SSHWARDEN_LAB_PASSWORD"\n');
    chmodSync(askpass, 0o755);
  }
  return scratch;
}

function family(target: string): 4 | 6 {
  return target.includes(':') ? 6 : 4;
}

function pinned<T extends { stderr: string }>(host: Host, target: string, fn: (port: number) => T): T & { src: string; srcPort: number } {
  const port = freshPort(host);
  setEphemeralRange(host, port);
  const r = fn(port);
  if (/Cannot assign requested address/.test(r.stderr)) throw new Error(`lab: ${host.name} could not use source port ${port}: ${r.stderr}`);
  return { ...r, src: family(target) === 6 ? host.v6 : host.v4, srcPort: port };
}

export interface SshOptions {
  target: string;
  port?: number;
  user: string;
  /** Private key(s) to offer, in order (publickey only, BatchMode). */
  key?: string | string[];
  /** Password to send (password method only, through SSH_ASKPASS with no tty). */
  password?: string;
  /** Password prompts before giving up (NumberOfPasswordPrompts), default 3. */
  tries?: number;
  /** More `-o` options, e.g. `KexAlgorithms=diffie-hellman-group1-sha1`. */
  options?: string[];
  /** Remote command, default `true`. */
  command?: string;
  verbose?: boolean;
  timeoutMs?: number;
}

const LOGGED_IN = 'sshwarden-lab-logged-in';

function sshInvocation(o: SshOptions): { args: string[]; env: NodeJS.ProcessEnv } {
  const dir = scratchDir();
  const args = ['-w', 'ssh', '-F', '/dev/null', '-p', String(o.port ?? 22), '-l', o.user];
  args.push('-o', 'UserKnownHostsFile=/dev/null', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no');
  args.push('-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=0');
  if (o.verbose) args.push('-v');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, LANG: 'C' };
  if (o.key) {
    for (const k of Array.isArray(o.key) ? o.key : [o.key]) args.push('-i', k);
    args.push('-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'PreferredAuthentications=publickey', '-o', 'BatchMode=yes');
  } else if (o.password !== undefined) {
    args.push('-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'BatchMode=no');
    args.push('-o', `NumberOfPasswordPrompts=${o.tries ?? 3}`);
    env.SSH_ASKPASS = join(dir, 'askpass.sh');
    env.SSH_ASKPASS_REQUIRE = 'force';
    env.DISPLAY = ':0';
    env.SSHWARDEN_LAB_PASSWORD = o.password;
  } else {
    args.push('-o', 'BatchMode=yes', '-o', 'IdentityAgent=none', '-o', 'PubkeyAuthentication=no');
  }
  for (const opt of o.options ?? []) args.push('-o', opt);
  // `setsid -w`: no controlling terminal, so ssh asks SSH_ASKPASS for passwords.
  args.push(o.target, `${o.command ?? 'true'} && echo ${LOGGED_IN}`);
  return { args, env };
}

/** Runs the real OpenSSH client once (one TCP connection) from `host`. */
export function runSsh(host: Host, o: SshOptions): SshRun {
  const { args, env } = sshInvocation(o);
  return pinned(host, o.target, () => {
    const t0 = Date.now();
    const r = host.run('setsid', args, { env, timeoutMs: o.timeoutMs ?? 30_000 });
    return {
      status: r.status,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      elapsedMs: Date.now() - t0,
      loggedIn: (r.stdout ?? '').includes(LOGGED_IN),
    };
  });
}

/**
 * Starts the real OpenSSH client in the background (for concurrent clients: use one Host per
 * concurrent client, since the source port is pinned per namespace). `started` resolves with
 * the pinned source; `done` when ssh exits (bounded by timeoutMs, then KILL).
 */
export function startSsh(host: Host, o: SshOptions): { src: string; srcPort: number; done: Promise<SshRun>; kill(): void } {
  const { args, env } = sshInvocation(o);
  const srcPort = freshPort(host);
  setEphemeralRange(host, srcPort);
  const src = family(o.target) === 6 ? host.v6 : host.v4;
  const t0 = Date.now();
  const child = host.spawn('setsid', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
  const done = new Promise<SshRun>((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      if (/Cannot assign requested address/.test(stderr)) reject(new Error(`lab: ${host.name} could not use source port ${srcPort}: ${stderr}`));
      else resolve({ src, srcPort, status: code, stdout, stderr, elapsedMs: Date.now() - t0, loggedIn: stdout.includes(LOGGED_IN) });
    });
  });
  return { src, srcPort, done, kill: () => child.kill('SIGTERM') };
}

/** `ssh-keyscan` for one key type (one TCP connection). */
export function runKeyscan(host: Host, target: string, opts: { port?: number; type?: string } = {}): ClientRun {
  return pinned(host, target, () => {
    const t0 = Date.now();
    const r = host.run('ssh-keyscan', ['-T', '5', '-p', String(opts.port ?? 22), '-t', opts.type ?? 'ed25519', target], { timeoutMs: 15_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', elapsedMs: Date.now() - t0 };
  });
}

/** `curl` (plain HTTP) to an SSH port, from a fixed local port. */
export function runCurl(host: Host, url: string, target: string): ClientRun {
  const port = freshPort(host);
  const t0 = Date.now();
  const r = host.run('curl', ['-sS', '--max-time', '5', '--local-port', String(port), url], { timeoutMs: 15_000 });
  return { src: family(target) === 6 ? host.v6 : host.v4, srcPort: port, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', elapsedMs: Date.now() - t0 };
}

function parseRaw(stdout: string, stderr: string): RawResult[] {
  const last = stdout.trim().split('\n').filter(Boolean).at(-1) ?? '';
  let parsed: { results?: RawResult[]; error?: string };
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`lab: raw client printed no result: ${stdout} ${stderr}`);
  }
  if (!parsed.results) throw new Error(`lab: raw client failed: ${parsed.error ?? last} ${stderr}`);
  return parsed.results;
}

/** Gives the raw client a fresh block of ephemeral ports (it reads the one it got from its socket). */
function freshBlock(host: Host, count: number): void {
  const lo = freshPort(host);
  let hi = lo;
  for (let i = 1; i < count + 4; i++) hi = freshPort(host);
  setEphemeralRange(host, lo, hi);
}

/** Runs the raw client to completion. */
export function runRaw(host: Host, spec: RawSpec, timeoutMs = 30_000): RawResult[] {
  freshBlock(host, spec.count ?? 1);
  const r = host.run(process.execPath, ['--disable-warning=ExperimentalWarning', RAW_CLIENT, JSON.stringify(spec)], { timeoutMs });
  return parseRaw(r.stdout ?? '', r.stderr ?? '');
}

export interface RawSession {
  /** Resolves when every connection reached its hold point. */
  ready: Promise<void>;
  /** Releases held connections (FIN). */
  release(): void;
  results: Promise<RawResult[]>;
}

/** Starts the raw client in the background (for `then: 'hold'`). */
export function spawnRaw(host: Host, spec: RawSpec): RawSession {
  freshBlock(host, spec.count ?? 1);
  const child = host.spawn(process.execPath, ['--disable-warning=ExperimentalWarning', RAW_CLIENT, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let readyResolve!: () => void;
  let readyReject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('"ready":true')) readyResolve();
  });
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const results = new Promise<RawResult[]>((res, rej) => {
    child.on('close', () => {
      readyReject(new Error(`lab: raw client ended before ready: ${out} ${err}`));
      try {
        res(parseRaw(out, err));
      } catch (e) {
        rej(e);
      }
    });
  });
  ready.catch(() => undefined);
  return {
    ready,
    release: () => {
      child.stdin?.write('go\n');
      child.stdin?.end();
    },
    results,
  };
}
