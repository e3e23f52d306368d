/**
 * A real systemd for tests: a Debian 12 (bookworm) root made with `debootstrap` from the Debian
 * mirror this machine's apt already uses, cached outside the checkout (built once, a few
 * minutes; `/var/cache/sshwarden-test/bookworm`, or $SSHWARDEN_TEST_CACHE), booted with
 * `systemd-nspawn -b --private-network --register=no --keep-unit` (the host may have no system
 * bus, and systemd need not be PID 1 here). `--volatile=overlay` keeps the cached root pristine:
 * every boot starts from the same tree and writes go to a tmpfs that dies with the container.
 *
 *   const root = await ensureBookwormRoot();
 *   const c = await bootContainer(root, { binds: [{ host: checkout, container: '/opt/sshwarden' }] });
 *   c.check('systemctl', ['start', 'ssh']);
 *   c.joinLab(lab, 1);                 // eth1 192.0.2.1 on the lab's bridge: lab hosts reach it
 *   await c.stop();                    // by the PID we started; every mount and namespace goes with it
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Lab } from './netns.ts';

export const CACHE_DIR = process.env.SSHWARDEN_TEST_CACHE ?? '/var/cache/sshwarden-test';
/** What the root holds besides debootstrap's minbase: a small Debian server with sshd and rsyslog. */
export const ROOT_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'openssh-client', 'nftables', 'rsyslog', 'iproute2', 'procps'];
const COMPLETE = '.sshwarden-root-complete';
/** A build took 2 min on an idle machine and 9 min on a loaded one (2 vCPUs, load 20). */
const BUILD_TIMEOUT_MS = 20 * 60_000;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The Debian mirror apt uses here (deb822 `URIs:` or one-line `deb URL bookworm`), else deb.debian.org. */
export function debianMirror(): string {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (f.endsWith('.sources') || f.endsWith('.list')) files.push(`${dir}/${f}`);
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && /^Suites:.*\bbookworm\b/m.test(stanza) && !/security/.test(uri)) return uri;
    }
    for (const line of text.split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line);
      if (m && !/security/.test(m[1])) return m[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The cached root, built with debootstrap when missing or when it was built with another package
 * list (prints one progress line on stderr).
 */
export function ensureBookwormRoot(): string {
  const root = `${CACHE_DIR}/bookworm`;
  if (existsSync(`${root}/${COMPLETE}`) && readFileSync(`${root}/${COMPLETE}`, 'utf8').trim().endsWith(ROOT_PACKAGES.join(' '))) return root;
  const partial = `${CACHE_DIR}/bookworm.partial-${process.pid}`;
  const mirror = debianMirror();
  process.stderr.write(`nspawn: building the Debian 12 test root in ${root} with debootstrap from ${mirror} (once; takes a few minutes)\n`);
  rmSync(partial, { recursive: true, force: true });
  try {
    const r = spawnSync('debootstrap', ['--variant=minbase', `--include=${ROOT_PACKAGES.join(',')}`, 'bookworm', partial, mirror], {
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error || r.status !== 0) {
      const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
      throw new Error(`nspawn: debootstrap failed (${r.error?.message ?? `exit ${r.status}`}); is debootstrap installed and ${mirror} reachable?\n${tail}`);
    }
    // No services that would race the tests' own setup at boot.
    writeFileSync(`${partial}/etc/hostname`, 'sshwarden-test\n');
    writeFileSync(`${partial}/${COMPLETE}`, `${new Date().toISOString()} ${mirror} ${ROOT_PACKAGES.join(' ')}\n`);
    rmSync(root, { recursive: true, force: true });
    renameSync(partial, root);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return root;
}

export interface Bind {
  host: string;
  container: string;
  /** Read-only (default true). */
  readOnly?: boolean;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

export class Container {
  /** The nspawn process we started. */
  readonly nspawn: ChildProcess;
  /** The container's PID 1 (systemd), as seen from the host. */
  readonly leader: number;
  private readonly console: { text: string };
  private stopped = false;

  constructor(nspawn: ChildProcess, leader: number, console: { text: string }) {
    this.nspawn = nspawn;
    this.leader = leader;
    this.console = console;
  }

  /** Runs a command inside the container (all its namespaces, a clean environment), bounded (default 60 s). */
  run(cmd: string, args: string[], opts: ExecOptions = {}): SpawnSyncReturns<string> {
    const env = Object.entries({ PATH, HOME: '/root', LANG: 'C.UTF-8', SYSTEMD_PAGER: '', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    return spawnSync('nsenter', ['-t', String(this.leader), '-a', 'env', '-i', ...env, cmd, ...args], {
      input: opts.input,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** Like `run`, but throws with its output when the command fails; returns stdout. */
  check(cmd: string, args: string[], opts: ExecOptions = {}): string {
    const r = this.run(cmd, args, opts);
    if (r.status !== 0) throw new Error(`[container] ${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** Writes a file inside the container. */
  writeFile(path: string, text: string, mode = '600'): void {
    // `cat` reads its stdin directly: spawnSync's stdin is a socket, which /dev/stdin cannot open.
    this.check('sh', ['-euc', 'umask 077; mkdir -p "$(dirname "$1")"; cat > "$1"; chmod "$2" "$1"', 'sh', path, mode], { input: text });
  }

  /**
   * Puts the container on a lab's bridge: a veth `eth1` inside with `${lab.v4}.${n}/24`, so the
   * lab's hosts (client namespaces the test created) reach it; it goes with the container.
   */
  joinLab(lab: Lab, n: number): string {
    const outer = `c${lab.id}`.slice(0, 15);
    // The lab's bridge namespace (see netns.ts: `${id}-br`).
    const bridgeNs = `${lab.id}-br`;
    const ip = (args: string[]): void => {
      const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    ip(['link', 'add', outer, 'netns', bridgeNs, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', String(this.leader)]);
    ip(['-n', bridgeNs, 'link', 'set', outer, 'master', 'br0']);
    ip(['-n', bridgeNs, 'link', 'set', outer, 'up']);
    const addr = `${lab.v4}.${n}`;
    this.check('ip', ['addr', 'add', `${addr}/24`, 'dev', 'eth1']);
    this.check('ip', ['link', 'set', 'eth1', 'up']);
    this.check('ip', ['link', 'set', 'lo', 'up']);
    return addr;
  }

  /**
   * Makes the container's journal carry the kernel's boot id. nspawn shows the container a
   * random boot id (a file mounted over /proc/sys/kernel/random/boot_id), but a sandboxed
   * service gets a fresh /proc (ProtectProc=, ProcSubset=) and sees the kernel's: its
   * `journalctl -f` then never shows the entries journald writes under the container's id. On a
   * real machine both are the kernel's; this container-only effect is removed here, not in
   * the unit: unmount the fake id and restart journald.
   */
  useKernelBootId(): void {
    this.check('umount', ['/proc/sys/kernel/random/boot_id']);
    this.check('systemctl', ['restart', 'systemd-journald']);
    const inside = this.check('cat', ['/proc/sys/kernel/random/boot_id']).trim();
    const kernel = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (inside !== kernel) throw new Error(`nspawn: the container still sees boot id ${inside}, not the kernel's ${kernel}`);
  }

  /** What the container printed on its console (bounded), for failure messages. */
  consoleText(): string {
    return this.console.text;
  }

  /**
   * Stops the container: `poweroff` inside, then SIGTERM to nspawn, then SIGKILL to its PID 1
   * (which ends every process in the container's PID namespace) and to nspawn. Bounded (~40 s).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = (): boolean => this.nspawn.exitCode !== null || this.nspawn.signalCode !== null;
    const waitExit = async (ms: number): Promise<boolean> => {
      const deadline = Date.now() + ms;
      while (!exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return exited();
    };
    if (exited()) return;
    this.run('systemctl', ['poweroff', '--no-block'], { timeoutMs: 10_000 });
    if (await waitExit(20_000)) return;
    this.nspawn.kill('SIGTERM');
    if (await waitExit(10_000)) return;
    try {
      process.kill(this.leader, 'SIGKILL');
    } catch {
      /* already gone */
    }
    this.nspawn.kill('SIGKILL');
    await waitExit(5_000);
  }
}

export interface BootOptions {
  binds?: Bind[];
  /** Boot timeout (default 90 s). */
  timeoutMs?: number;
}

/** Boots `root` (read-only underneath: `--volatile=overlay`) and waits until systemd finished booting. */
export async function bootContainer(root: string, opts: BootOptions = {}): Promise<Container> {
  for (const tool of ['systemd-nspawn', 'nsenter']) {
    if (spawnSync(tool, ['--version'], { encoding: 'utf8' }).error) throw new Error(`nspawn: ${tool} not found (apt-get install systemd-container util-linux)`);
  }
  const args = ['-q', '-D', root, '--volatile=overlay', '-b', '--private-network', '--register=no', '--keep-unit', '--console=pipe', '--machine', `sshwarden-${process.pid}`];
  for (const b of opts.binds ?? []) args.push(`${b.readOnly === false ? '--bind' : '--bind-ro'}=${b.host}:${b.container}`);
  const nspawn = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const console = { text: '' };
  const keep = (d: Buffer): void => {
    console.text = (console.text + d.toString()).slice(-20_000);
  };
  nspawn.stdout!.on('data', keep);
  nspawn.stderr!.on('data', keep);
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let leader = 0;
  let container: Container | null = null;
  try {
    while (!leader) {
      if (nspawn.exitCode !== null || nspawn.signalCode !== null) throw new Error(`nspawn: systemd-nspawn exited (${nspawn.exitCode ?? nspawn.signalCode}): ${console.text.trim()}`);
      if (Date.now() > deadline) throw new Error(`nspawn: the container's init did not appear: ${console.text.trim()}`);
      leader = initOf(nspawn.pid!);
      if (!leader) await new Promise((r) => setTimeout(r, 100));
    }
    container = new Container(nspawn, leader, console);
    for (;;) {
      const r = container.run('systemctl', ['is-system-running'], { timeoutMs: 10_000 });
      const state = (r.stdout ?? '').trim();
      if (state === 'running' || state === 'degraded') break;
      if (Date.now() > deadline) throw new Error(`nspawn: the container did not finish booting (state ${state || r.stderr}): ${console.text.trim()}`);
      await new Promise((r2) => setTimeout(r2, 250));
    }
    return container;
  } catch (e) {
    if (container) await container.stop();
    else {
      if (leader) process.kill(leader, 'SIGKILL');
      nspawn.kill('SIGKILL');
    }
    throw e;
  }
}

/** The container's PID 1: the child of nspawn running systemd (0 while it has not started yet). */
function initOf(nspawnPid: number): number {
  let children: string;
  try {
    children = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8');
  } catch {
    return 0;
  }
  for (const pid of children.split(/\s+/).filter(Boolean).map(Number)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd') return pid;
    } catch {
      /* gone */
    }
  }
  return 0;
}
