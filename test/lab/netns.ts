/**
 * Test hosts in network namespaces, joined by a bridge in a namespace of their own: a tiny
 * LAN with documentation addresses only (192.0.2.0/24 and 2001:db8::/64 by default). The
 * host's own network and firewall are never touched. Every namespace, process and file a Lab
 * creates is removed by `destroy()`; processes are ended by the PIDs we started.
 *
 *   const lab = Lab.create('an');                // names carry the test's PID: parallel-safe
 *   const srv = lab.host('srv', 1);               // 192.0.2.1, 2001:db8::1
 *   const cli = lab.host('cli', 11);              // 192.0.2.11, 2001:db8::11
 *   const p = srv.spawn('/usr/sbin/sshd', ['-D', '-f', cfg]);
 *   cli.run('ssh', [...]);
 *   lab.destroy();
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncReturns } from 'node:child_process';

let labCounter = 0;

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('lab tests need root (network namespaces); run ./test.sh as root');
}

export interface LabOptions {
  /** IPv4 /24 prefix without the last octet, default `192.0.2`. Must be a documentation range. */
  v4?: '192.0.2' | '198.51.100' | '203.0.113';
  /** IPv6 /64 prefix, default `2001:db8:`; written as `${v6}:${n}` (e.g. 2001:db8::11). Must be inside 2001:db8::/32. */
  v6?: string;
}

export class Host {
  readonly lab: Lab;
  readonly name: string;
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
  constructor(lab: Lab, name: string, ns: string, v4: string, v6: string) {
    this.lab = lab;
    this.name = name;
    this.ns = ns;
    this.v4 = v4;
    this.v6 = v6;
  }

  /** Runs a command in this host's namespace and waits (bounded by `timeoutMs`, default 30 s). */
  run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
    return spawnSync('ip', ['netns', 'exec', this.ns, cmd, ...args], {
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      encoding: 'utf8',
      env: opts.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** Like `run`, but throws with stderr when the command fails. Returns stdout. */
  check(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): string {
    const r = this.run(cmd, args, opts);
    if (r.status !== 0) throw new Error(`[${this.name}] ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
    return r.stdout;
  }

  /** Starts a long-running process in the namespace; the Lab ends it (by PID) on destroy. */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.lab.track(child);
    return child;
  }
}

export class Lab {
  readonly id: string;
  readonly v4: string;
  readonly v6: string;
  private readonly bridgeNs: string;
  private readonly hosts: Host[] = [];
  private readonly children: ChildProcess[] = [];
  private destroyed = false;

  private constructor(prefix: string, opts: LabOptions) {
    this.id = `sw${prefix}${process.pid}x${labCounter++}`;
    this.v4 = opts.v4 ?? '192.0.2';
    this.v6 = opts.v6 ?? '2001:db8:';
    if (!this.v6.toLowerCase().startsWith('2001:db8:')) throw new Error('lab IPv6 prefix must be inside 2001:db8::/32');
    this.bridgeNs = `${this.id}-br`;
  }

  static create(prefix: string, opts: LabOptions = {}): Lab {
    requireRoot();
    const lab = new Lab(prefix, opts);
    ip(['netns', 'add', lab.bridgeNs]);
    ip(['-n', lab.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', lab.bridgeNs, 'link', 'set', 'br0', 'up']);
    ip(['-n', lab.bridgeNs, 'link', 'set', 'lo', 'up']);
    return lab;
  }

  /** Adds a host with the given last octet / IPv6 suffix (1..254). */
  host(name: string, n: number): Host {
    if (!Number.isInteger(n) || n < 1 || n > 254) throw new Error(`host number ${n} out of range`);
    const ns = `${this.id}-${name}`;
    const idx = this.hosts.length;
    const outer = `v${idx}${this.id}`.slice(0, 15);
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', outer, 'netns', this.bridgeNs]);
    ip(['-n', this.bridgeNs, 'link', 'set', outer, 'master', 'br0']);
    ip(['-n', this.bridgeNs, 'link', 'set', outer, 'up']);
    const v4 = `${this.v4}.${n}`;
    const v6 = `${this.v6}:${n.toString(16)}`;
    ip(['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', 'eth0']);
    ip(['-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad']);
    ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    const h = new Host(this, name, ns, v4, v6);
    this.hosts.push(h);
    return h;
  }

  /** Adds another address (e.g. a second client source) to a host's eth0. */
  addAddress(h: Host, cidr: string): void {
    ip(['-n', h.ns, ...(cidr.includes(':') ? ['-6'] : []), 'addr', 'add', cidr, 'dev', 'eth0', ...(cidr.includes(':') ? ['nodad'] : [])]);
  }

  track(child: ChildProcess): void {
    this.children.push(child);
  }

  /** Ends the processes this lab started (by PID, TERM then KILL) and deletes its namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGTERM');
    const deadline = Date.now() + 3000;
    for (const c of this.children) {
      while (c.exitCode === null && c.signalCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
    }
    for (const h of this.hosts) killNamespaceProcesses(h.ns);
    for (const h of this.hosts) spawnSync('ip', ['netns', 'del', h.ns]);
    spawnSync('ip', ['netns', 'del', this.bridgeNs]);
  }
}

/** Processes still inside one of our namespaces were started by us (through `ip netns exec`): end them by PID. */
function killNamespaceProcesses(ns: string): void {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const pid of (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
