/**
 * Helpers for the probe lab tests: run `./sshwarden probe` and Debian's `ssh-audit` inside a
 * client namespace, start small misbehaving servers, nginx and nft rules inside a server
 * namespace, and a private hosts file for a client namespace (`ip netns exec` bind-mounts
 * /etc/netns/<ns>/hosts over /etc/hosts; the real /etc/hosts is never touched).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from '../lab/netns.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SSHWARDEN = join(REPO, 'sshwarden');
const BEHAVIOUR_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'tcp-behaviour-server.ts');

export interface ProbeRun {
  status: number | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Runs `./sshwarden probe <args> --json` in the client namespace. */
export function probe(cli: Host, args: string[], timeoutMs = 60_000): ProbeRun {
  const r = cli.run(SSHWARDEN, ['probe', ...args, '--json'], { timeoutMs });
  let json: unknown = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* left null: the test asserts on it */
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

/** Runs `./sshwarden <args>` (text output) in the client namespace. */
export function sshwarden(cli: Host, args: string[], input?: string, timeoutMs = 60_000) {
  return cli.run(SSHWARDEN, args, { timeoutMs, input });
}

export interface AuditRun {
  status: number | null;
  /** ssh-audit's one-line gist: its exception, or its banner line. */
  summary: string;
  output: string;
}

/** Debian's ssh-audit against the same server, from the same client namespace. */
export function sshAudit(cli: Host, address: string, port: number): AuditRun {
  const r = cli.run('ssh-audit', ['-n', '-t', '3', '-p', String(port), address], { timeoutMs: 30_000 });
  const out = `${r.stdout}${r.stderr}`;
  const lines = out.split('\n').map((l) => l.trim());
  const exc = lines.find((l) => l.includes('[exception]'));
  const banner = lines.find((l) => l.startsWith('(gen) banner:'));
  const header = lines.filter((l) => l.startsWith('(gen) header:')).slice(0, 1);
  const summary = exc ? `${exc}${header.length ? ` ${header[0]}` : ''}` : banner ? banner : (lines.find((l) => l) ?? '');
  return { status: r.status, summary, output: out };
}

/** Starts the tiny TCP server (tarpit | close | reset) in `host` and waits until it listens. */
export async function startBehaviour(host: Host, mode: 'tarpit' | 'close' | 'reset' | 'tls', port: number): Promise<ChildProcess> {
  const child = host.spawn(process.execPath, ['--disable-warning=ExperimentalWarning', BEHAVIOUR_SERVER, mode, String(port), host.v4, host.v6]);
  await waitForLine(child, /listening/, 10_000, `behaviour server ${mode}`);
  return child;
}

async function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number, what: string): Promise<void> {
  let out = '';
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (re.test(out)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}): ${err}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const end = Date.now() + 3000;
  while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(20);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** nginx (Debian nginx-light) listening on `port` of the host's addresses, in a temp prefix. */
export async function startNginx(host: Host, port: number, opts: { tls?: boolean } = {}): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  if (!existsSync('/usr/sbin/nginx')) throw new Error('nginx is missing (apt-get install nginx-light; test.sh installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-nginx-'));
  let ssl = '';
  if (opts.tls) {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=srv.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    ssl = ` ssl; ssl_certificate ${dir}/cert.pem; ssl_certificate_key ${dir}/key.pem`;
  }
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen ${host.v4}:${port}${ssl ? ' ssl' : ''}; listen [${host.v6}]:${port}${ssl}; location / { return 200 "hello\\n"; } }
}
`,
  );
  const child = host.spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ss = host.run('ss', ['-ltnH', `sport = :${port}`], { timeoutMs: 5000 });
    if (ss.stdout.includes('LISTEN')) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not listen on ${port}`);
    await sleep(25);
  }
  return {
    child,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Loads an nft ruleset inside the host's namespace (never the host's own firewall). */
export function nft(host: Host, ruleset: string): void {
  host.check('nft', ['-f', '-'], { input: ruleset });
}

export function nftFlush(host: Host): void {
  host.check('nft', ['flush', 'ruleset']);
}

/** A private /etc/hosts for one namespace; returns the cleanup. */
export function privateHosts(host: Host, lines: string[]): () => void {
  const dir = `/etc/netns/${host.ns}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n::1 localhost\n${lines.join('\n')}\n`);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Rows of "case | our verdict | ssh-audit", printed at the end of a test file. */
export const comparison: { case: string; ours: string; sshAudit: string }[] = [];

export function printComparison(title: string): void {
  if (comparison.length === 0) return;
  const lines = [`\n${title}`, '| case | sshwarden probe | ssh-audit 2.5.0 (Debian) |', '|---|---|---|'];
  for (const r of comparison) lines.push(`| ${r.case} | ${r.ours.replaceAll('|', '\\|')} | ${r.sshAudit.replaceAll('|', '\\|')} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
