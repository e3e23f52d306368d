/** A firewall rule that rate-limits new SSH connections (iptables recent/hashlimit/connlimit, nftables limit/meter). */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

export function rateLimitAdvice(f: { tool: 'nftables' | 'iptables' | 'ip6tables'; match: string; family?: string; table?: string; chain?: string; handle?: number; rule?: string; exempt?: string | null }): Advice {
  const ok = (s: string | undefined) => s !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(s);
  const commands: string[] = [];
  const verify: string[] = [];
  if (f.tool === 'nftables' && ok(f.family) && ok(f.table) && ok(f.chain) && Number.isInteger(f.handle)) {
    if (f.exempt) commands.push(shellCommand(['nft', 'insert', 'rule', f.family!, f.table!, f.chain!, 'position', String(f.handle), f.exempt.includes(':') ? 'ip6' : 'ip', 'saddr', f.exempt, 'accept']));
    commands.push(`# or remove the limit: ${shellCommand(['nft', 'delete', 'rule', f.family!, f.table!, f.chain!, 'handle', String(f.handle)])}`);
    verify.push(shellCommand(['nft', '-a', 'list', 'chain', f.family!, f.table!, f.chain!]));
  } else if (f.tool !== 'nftables' && f.rule && /^-A [A-Za-z0-9_.-]+ /.test(f.rule) && !/[;&|`$<>\\]/.test(f.rule)) {
    const w = f.rule.split(/\s+/);
    if (f.exempt) commands.push(shellCommand([f.tool, '-I', w[1], '-s', f.exempt, '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']));
    commands.push(`# or remove the limit: ${shellCommand([f.tool, '-D', ...w.slice(1)])}`);
    verify.push(`${f.tool} -S ${shellCommand([w[1]])}`);
  }
  return {
    id: 'rate-limit.exempt',
    summary: `a firewall rule (${f.tool} ${f.match}) limits new SSH connections: users who reconnect quickly (scp loops, Ansible, CI) are dropped${f.exempt ? `; let ${f.exempt} through before it` : ''}, or raise the limit; keep the rule for everyone else`,
    changes: [],
    commands,
    verify,
  };
}
