/**
 * The host around sshd: host keys present and readable (HostKey lines or the defaults),
 * the privilege separation directory (/run/sshd), the sshd-session/sshd-auth helpers (9.8+),
 * free memory and the PID limit of sshd's cgroup, AppArmor/SELinux denials, TCP wrappers.
 */
import type { CheckContext } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';

const DEFAULT_KEYS = ['/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'];

export async function checkHostKeys(ctx: CheckContext, hostKeys: string[]): Promise<CheckResult> {
  const check = 'host-keys';
  const keys = hostKeys.length ? hostKeys : DEFAULT_KEYS;
  const problems: { file: string; problem: string }[] = [];
  let present = 0;
  for (const k of keys) {
    const st = await ctx.runner.stat(k);
    if ('error' in st) {
      if (st.error === 'EACCES') return { check, status: 'unchecked', reason: 'needs root (host keys are root-only)', facts: [] };
      if (hostKeys.length || st.error !== 'ENOENT') problems.push({ file: k, problem: st.error === 'ENOENT' ? 'missing' : st.error });
      continue;
    }
    if (st.size === 0) problems.push({ file: k, problem: 'empty' });
    else if ((st.mode & 0o077) !== 0) problems.push({ file: k, problem: `permissions ${(st.mode & 0o777).toString(8)}: sshd refuses a key others can read` });
    else present++;
  }
  const facts: Fact[] = [];
  if (problems.length && (hostKeys.length > 0 || present === 0)) facts.push({ type: 'host_keys', problems, evidence: problems.map((p) => ({ where: p.file, text: p.problem })) });
  return { check, status: 'looked', note: `${present} host key(s) present and private`, facts };
}

export async function checkPrivsep(ctx: CheckContext): Promise<CheckResult> {
  const check = 'privsep-dir';
  const st = await ctx.runner.stat('/run/sshd');
  if (!('error' in st) && st.isDirectory) return { check, status: 'looked', note: '/run/sshd present', facts: [] };
  return { check, status: 'looked', facts: [{ type: 'privsep_dir_missing', path: '/run/sshd', evidence: [{ where: '/run/sshd', text: 'error' in st ? st.error : 'not a directory' }] }] };
}

export async function checkSshdSession(ctx: CheckContext, version: string | null): Promise<CheckResult> {
  const check = 'sshd-session';
  if (version === null || Number(version.split('.')[0]) * 100 + Number(version.split('.')[1]) < 908) return { check, status: 'looked', note: `not needed before OpenSSH 9.8${version ? ` (this is ${version})` : ''}`, facts: [] };
  const missing: string[] = [];
  for (const f of ['/usr/lib/openssh/sshd-session', '/usr/libexec/sshd-session', '/usr/lib/ssh/sshd-session']) {
    const st = await ctx.runner.stat(f);
    if (!('error' in st)) return { check, status: 'looked', note: `${f} present`, facts: [] };
    missing.push(f);
  }
  return { check, status: 'looked', facts: [{ type: 'sshd_session_missing', files: missing, evidence: missing.map((f) => ({ where: f, text: 'missing' })) }] };
}

export async function checkResources(ctx: CheckContext): Promise<CheckResult> {
  const check = 'resources';
  const facts: Fact[] = [];
  const notes: string[] = [];
  const mem = await ctx.runner.readFile('/proc/meminfo', 65536);
  if ('text' in mem) {
    const avail = /MemAvailable:\s+(\d+) kB/.exec(mem.text);
    const total = /MemTotal:\s+(\d+) kB/.exec(mem.text);
    if (avail && total) {
      const a = Number(avail[1]), t = Number(total[1]);
      notes.push(`${Math.round(a / 1024)} MiB of ${Math.round(t / 1024)} MiB available`);
      if (a < 32 * 1024 || a / t < 0.02) facts.push({ type: 'resources', problem: `only ${Math.round(a / 1024)} MiB of memory available`, evidence: [{ where: '/proc/meminfo', text: avail[0] }] });
    }
  }
  const cg = await ctx.runner.run('systemctl', ['show', '-p', 'TasksCurrent,TasksMax', 'ssh.service'], ctx.timeoutMs);
  if (cg.ok) {
    const cur = /TasksCurrent=(\d+)/.exec(cg.stdout);
    const max = /TasksMax=(\d+)/.exec(cg.stdout);
    if (cur && max) {
      notes.push(`ssh.service tasks ${cur[1]}/${max[1]}`);
      if (Number(cur[1]) >= Number(max[1]) * 0.9) facts.push({ type: 'resources', problem: `ssh.service runs ${cur[1]} tasks of its limit ${max[1]} (pids.max): sshd cannot fork`, evidence: [{ where: commandText('systemctl', ['show', '-p', 'TasksCurrent,TasksMax', 'ssh.service']), text: cg.stdout.trim().replace(/\n/g, ' ') }] });
    }
  }
  const pm = await ctx.runner.readFile('/sys/fs/cgroup/pids.max', 64);
  const pc = await ctx.runner.readFile('/sys/fs/cgroup/pids.current', 64);
  if ('text' in pm && 'text' in pc && /^\d+/.test(pm.text.trim())) {
    const max = Number(pm.text.trim()), cur = Number(pc.text.trim());
    notes.push(`pids ${cur}/${max}`);
    if (cur >= max * 0.9) facts.push({ type: 'resources', problem: `this container runs ${cur} processes of its pids.max ${max}`, evidence: [{ where: '/sys/fs/cgroup/pids.max', text: `pids.current ${cur}, pids.max ${max}` }] });
  }
  return { check, status: 'looked', note: notes.join(', ') || 'nothing measurable', facts };
}

export async function checkMac(ctx: CheckContext): Promise<CheckResult> {
  const check = 'apparmor-selinux';
  const facts: Fact[] = [];
  const notes: string[] = [];
  const reasons: string[] = [];
  const se = await ctx.runner.run('ausearch', ['-m', 'avc', '-c', 'sshd', '-ts', 'recent'], ctx.timeoutMs);
  const seCannot = cannotRun('ausearch', se);
  if (seCannot) reasons.push(`SELinux: ${seCannot}`);
  else {
    const lines = se.stdout.split('\n').filter((l) => /avc:\s+denied/.test(l));
    notes.push(`SELinux: ${lines.length} sshd denial(s)`);
    if (lines.length) facts.push({ type: 'mac_denial', system: 'selinux', evidence: lines.slice(0, 5).map((text) => ({ where: commandText('ausearch', ['-m', 'avc', '-c', 'sshd', '-ts', 'recent']), text })) });
  }
  const aa = await ctx.runner.run('journalctl', ['-k', '-q', '--no-pager', '-g', 'apparmor="DENIED".*sshd', '--since', '-24h'], ctx.timeoutMs);
  const aaCannot = cannotRun('journalctl', aa);
  if (aaCannot) reasons.push(`AppArmor: ${aaCannot}`);
  else {
    const lines = aa.stdout.split('\n').filter((l) => /apparmor="DENIED"/.test(l) && /sshd/.test(l));
    notes.push(`AppArmor: ${lines.length} sshd denial(s)`);
    if (lines.length) facts.push({ type: 'mac_denial', system: 'apparmor', evidence: lines.slice(0, 5).map((text) => ({ where: commandText('journalctl', ['-k', '-g', 'apparmor="DENIED"']), text })) });
  }
  if (notes.length === 0) return { check, status: 'unchecked', reason: reasons.join('; '), facts: [] };
  return { check, status: 'looked', note: notes.join(', '), facts };
}

/** TCP wrappers matter only when this sshd is linked with libwrap (Debian's is not since 2014). */
export async function checkTcpWrappers(ctx: CheckContext, sshd = '/usr/sbin/sshd'): Promise<CheckResult> {
  const check = 'tcp-wrappers';
  const ldd = await ctx.runner.run('ldd', [sshd], ctx.timeoutMs);
  const cannot = cannotRun('ldd', ldd);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!/libwrap/.test(ldd.stdout)) return { check, status: 'looked', note: 'sshd is not built with TCP wrappers: hosts.allow/hosts.deny do not apply', facts: [] };
  const deny = await ctx.runner.readFile('/etc/hosts.deny', 1 << 20);
  if ('error' in deny) return { check, status: 'looked', note: 'no /etc/hosts.deny', facts: [] };
  const lines = deny.text.split('\n').map((l, i) => ({ l: l.trim(), i: i + 1 })).filter((x) => x.l && !x.l.startsWith('#') && /^(sshd|ALL)\s*:/.test(x.l));
  const hits = lines.filter((x) => !ctx.client || x.l.includes(ctx.client.address) || /:\s*ALL\b/.test(x.l));
  if (!hits.length) return { check, status: 'looked', note: '/etc/hosts.deny has no rule for sshd', facts: [] };
  return { check, status: 'looked', facts: [{ type: 'tcp_wrappers', file: '/etc/hosts.deny', evidence: hits.slice(0, 5).map((x) => ({ where: `/etc/hosts.deny:${x.i}`, text: x.l })) }] };
}
