/**
 * Lab helpers for the doctor scenarios: run `sshwarden doctor` inside a lab host (network
 * namespace), a private fail2ban-server (own config dir, socket, pid file; never the host's), a
 * private nginx, and nftables rules inside a namespace. Everything started here is ended by PID.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { Host } from '../lab/netns.ts';

export const SSHWARDEN = fileURLToPath(new URL('../../sshwarden', import.meta.url));

export interface DoctorJson {
  verdict: string;
  causes: { id: string; by?: string; confidence: number; action: boolean; summary: string; evidence: { where: string; text: string }[]; fix: { summary: string; commands: string[]; changes: { file: string; text: string }[] }[]; verify: string[] }[];
  checked: { check: string; note: string; ms: number | null }[];
  unchecked: { check: string; reason: string }[];
}

export interface DoctorRun {
  status: number | null;
  json: DoctorJson;
  ms: number;
  stderr: string;
}

/** `sshwarden doctor --json ARGS` in `host`'s namespace. */
export function doctor(host: Host, args: string[], timeoutMs = 180_000): DoctorRun {
  const t0 = Date.now();
  const r = host.run(SSHWARDEN, ['doctor', '--json', ...args], { timeoutMs });
  const ms = Date.now() - t0;
  let json: DoctorJson;
  try {
    json = JSON.parse(r.stdout) as DoctorJson;
  } catch {
    throw new Error(`doctor ${args.join(' ')} printed no JSON (status ${r.status ?? r.signal}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  }
  return { status: r.status, json, ms, stderr: r.stderr };
}

/** A short text of the causes for assertion messages. */
export function causesText(j: DoctorJson): string {
  return `${j.verdict}\n${j.causes.map((c) => `  ${c.id}${c.by ? `/${c.by}` : ''} ${c.confidence}: ${c.summary}\n${c.evidence.map((e) => `     ${e.where} ${e.text}`).join('\n')}`).join('\n')}\n  unchecked: ${j.unchecked.map((u) => `${u.check}: ${u.reason}`).join('; ')}`;
}

export function nft(host: Host, ruleset: string): void {
  host.check('nft', ['-f', '-'], { input: ruleset });
}

export interface Fail2ban {
  socket: string;
  dir: string;
  client(args: string[]): string;
  stop(): Promise<void>;
}

/** fail2ban-server in `host`'s namespace with a private copy of /etc/fail2ban: sshd jail on `logFile`, nftables action. */
export async function startFail2ban(host: Host, logFile: string, opts: { maxretry?: number } = {}): Promise<Fail2ban> {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-f2b-'));
  const conf = join(dir, 'conf');
  cpSync('/etc/fail2ban', conf, { recursive: true });
  for (const f of readdirSync(join(conf, 'jail.d'))) rmSync(join(conf, 'jail.d', f), { force: true });
  const socket = join(dir, 'fail2ban.sock');
  const pidfile = join(dir, 'fail2ban.pid');
  writeFileSync(join(conf, 'fail2ban.local'), `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'fail2ban.log')}\nsocket = ${socket}\npidfile = ${pidfile}\ndbfile = :memory:\n`);
  writeFileSync(
    join(conf, 'jail.local'),
    `[DEFAULT]\nbanaction = nftables-multiport\nbanaction_allports = nftables-allports\nbackend = polling\n\n[sshd]\nenabled = true\nport = 22\nlogpath = ${logFile}\nmaxretry = ${opts.maxretry ?? 2}\nfindtime = 600\nbantime = 600\n`,
  );
  const child: ChildProcess = host.spawn('fail2ban-server', ['-f', '-x', '-c', conf, '-s', socket, '-p', pidfile]);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout?.resume();
  const client = (args: string[]) => host.check('fail2ban-client', ['-s', socket, ...args], { timeoutMs: 20_000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fail2ban-server exited: ${stderr}`);
    const r = host.run('fail2ban-client', ['-s', socket, 'status', 'sshd'], { timeoutMs: 10_000 });
    if (r.status === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fail2ban-server did not answer in 30 s: ${stderr} ${r.stderr}`);
    }
    await sleep(300);
  }
  return {
    socket,
    dir,
    client,
    async stop() {
      host.run('fail2ban-client', ['-s', socket, 'stop'], { timeoutMs: 15_000 });
      const end = Date.now() + 10_000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(100);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx in `host`'s namespace answering HTTP on `port` (IPv4 and IPv6). */
export async function startNginx(host: Host, port: number): Promise<{ stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};\n  server { listen 0.0.0.0:${port}; listen [::]:${port}; return 200 "ok\\n"; }\n}\n`,
  );
  const child = host.spawn('nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf]);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    if (host.run('ss', ['-ltnH', `sport = :${port}`]).stdout.includes('LISTEN')) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not listen on ${port}: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      const end = Date.now() + 5000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(50);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ssh_config for `doctor user@host` from the client namespace: the lab's key and known hosts. */
export function clientSshConfig(dir: string, key: string, knownHosts: string, extra: string[] = []): string {
  const f = join(dir, 'ssh_config');
  writeFileSync(f, `Host *\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  IdentityAgent none\n  UserKnownHostsFile ${knownHosts}\n  GlobalKnownHostsFile /dev/null\n${extra.map((l) => `  ${l}\n`).join('')}`);
  return f;
}
