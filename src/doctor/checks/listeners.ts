/**
 * The service as the network sees it: is sshd running, does it listen on the configured ports
 * (`ss -ltnp`), does another program own an SSH port (nginx, a TLS proxy), and does it listen on
 * both address families the host has (`ip -j addr`).
 */
import type { CheckContext } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';
import { parseSsListeners, type Listener } from '../../sshd-config/system.ts';

const SSHD_NAMES = new Set(['sshd', 'sshd-session']);

function familiesOf(ls: Listener[]): Set<4 | 6> {
  const f = new Set<4 | 6>();
  for (const l of ls) {
    if (l.address === '*') {
      f.add(4);
      f.add(6);
    } else f.add(l.address.includes(':') ? 6 : 4);
  }
  return f;
}

/** Global (not loopback, not link-local) address families the host has, from `ip -j addr`. */
export function hostFamilies(json: string): Set<4 | 6> {
  const out = new Set<4 | 6>();
  try {
    for (const link of JSON.parse(json) as { addr_info?: { family: string; scope: string }[] }[]) {
      for (const a of link.addr_info ?? []) if (a.scope === 'global') out.add(a.family === 'inet6' ? 6 : 4);
    }
  } catch {
    /* no JSON: unknown */
  }
  return out;
}

/** Pure: the facts from the listeners, the ports the config names, whether an sshd process runs, the host's address families. */
export function listenerFacts(listeners: Listener[], ports: number[], sshdRunning: boolean | null, families: Set<4 | 6>): Fact[] {
  const facts: Fact[] = [];
  const where = commandText('ss', ['-ltnp']);
  const show = (l: Listener) => `${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port} ${l.process ?? '?'}${l.pid ? ` pid ${l.pid}` : ''}`;
  const sshd = listeners.filter((l) => l.process && SSHD_NAMES.has(l.process));
  const systemd = listeners.filter((l) => l.process === 'systemd' && ports.includes(l.port));
  if (sshd.length === 0 && systemd.length === 0) {
    if (sshdRunning === false) {
      const others = listeners.filter((l) => ports.includes(l.port));
      facts.push({ type: 'sshd_not_running', why: 'no sshd process runs and nothing listens for it', evidence: [{ where: commandText('ps', ['-C', 'sshd']), text: 'no sshd process' }, ...others.map((l) => ({ where, text: show(l) }))] });
    }
  }
  for (const p of ports) {
    const on = listeners.filter((l) => l.port === p);
    const mine = on.filter((l) => (l.process && SSHD_NAMES.has(l.process)) || l.process === 'systemd');
    const other = on.filter((l) => !mine.includes(l));
    if (other.length) facts.push({ type: 'wrong_service', port: p, process: other[0].process ?? 'an unknown program', evidence: other.map((l) => ({ where, text: show(l) })) });
    else if (mine.length === 0 && (sshd.length > 0 || sshdRunning !== false)) {
      facts.push({ type: 'not_listening', expected: [`port ${p}`], listening: sshd.map(show), evidence: [{ where, text: sshd.length ? `sshd listens on ${sshd.map(show).join(', ')}, not on port ${p}` : `nothing listens on port ${p}` }] });
    }
  }
  const onPorts = [...sshd, ...systemd].filter((l) => ports.includes(l.port));
  if (onPorts.length) {
    const have = familiesOf(onPorts);
    for (const fam of [4, 6] as const) {
      if (!have.has(fam) && families.has(fam)) facts.push({ type: 'address_family', missing: fam, listening: onPorts.map(show), evidence: [{ where, text: `sshd listens only on ${onPorts.map(show).join(', ')}: no IPv${fam} listener although this host has IPv${fam} addresses` }] });
    }
  }
  return facts;
}

/**
 * Whether an sshd process runs in this network namespace (ps sees the whole PID namespace,
 * containers and labs included). A busy sshd forks a child per connection, so a PID that ps
 * listed may be gone when we look at it (ENOENT): that one ran nowhere, not "unknown". Only a
 * process we may not look into (EACCES, not root) leaves the answer unknown.
 */
async function sshdRunsHere(ctx: CheckContext): Promise<boolean | null> {
  const ps = await ctx.runner.run('ps', ['-C', 'sshd', '-o', 'pid='], ctx.timeoutMs);
  if (cannotRun('ps', ps)) return null;
  const pids = ps.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
  const mine = await ctx.runner.readlink('/proc/self/ns/net');
  if ('error' in mine) return pids.length > 0;
  let unknown = false;
  for (const pid of pids.slice(0, 200)) {
    const ns = await ctx.runner.readlink(`/proc/${pid}/ns/net`);
    if ('target' in ns) {
      if (ns.target === mine.target) return true;
    } else if (ns.error !== 'ENOENT') unknown = true;
  }
  return unknown ? null : false;
}

export async function checkListeners(ctx: CheckContext): Promise<CheckResult> {
  const check = 'listeners';
  const ss = await ctx.runner.run('ss', ['-ltnpH'], ctx.timeoutMs);
  const cannot = cannotRun('ss', ss);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!ss.ok) return { check, status: 'unchecked', reason: `ss failed: ${ss.stderr.trim()}`, facts: [] };
  const listeners = parseSsListeners(ss.stdout);
  const running = await sshdRunsHere(ctx);
  const ip = await ctx.runner.run('ip', ['-j', 'addr'], ctx.timeoutMs);
  const fams = ip.ok ? hostFamilies(ip.stdout) : new Set<4 | 6>();
  const facts = listenerFacts(listeners, ctx.ports, running, fams);
  const procs = !ctx.runner.isRoot && listeners.every((l) => !l.process) ? ' (not root: ss cannot name the processes)' : '';
  const sshd = listeners.filter((l) => l.process && SSHD_NAMES.has(l.process));
  return { check, status: 'looked', note: `sshd listens on ${sshd.map((l) => `${l.address}:${l.port}`).join(', ') || 'nothing'}${procs}`, facts };
}
