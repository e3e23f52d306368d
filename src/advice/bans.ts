/**
 * Bans: how to lift a ban and how to keep it from coming back, per system (fail2ban, sshguard,
 * CrowdSec, sshwarden's guard, nftables, iptables, ipset). Every value (address, jail, table, set,
 * chain, handle) is validated here before it goes into a command.
 */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';
import { canonicalAddress, parseCidr } from '../net/address.ts';

export type BanSystem = 'fail2ban' | 'sshguard' | 'crowdsec' | 'sshwarden' | 'nftables' | 'iptables' | 'ipset';

export interface BanFacts {
  by: BanSystem;
  /** The banned address (or network). */
  address: string;
  jail?: string;
  family?: string;
  table?: string;
  set?: string;
  chain?: string;
  handle?: number;
  /** iptables `-S` line (`-A CHAIN ...`). */
  rule?: string;
  tool?: 'iptables' | 'ip6tables';
}

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

function name(s: string | undefined): string | null {
  return s !== undefined && NAME.test(s) ? s : null;
}

/** `ban.lift` (+ keep-away) for one ban, or null when the facts are not enough to name the commands. */
export function banAdvice(f: BanFacts): Advice | null {
  const cidr = parseCidr(f.address);
  if (cidr === null) return null;
  const addr = cidr.text;
  const bare = canonicalAddress(addr) ?? addr;
  switch (f.by) {
    case 'fail2ban': {
      const jail = name(f.jail);
      return {
        id: 'ban.fail2ban',
        summary: `lift fail2ban's ban of ${addr}${jail ? ` in jail ${jail}` : ''}, and add it to ignoreip so the jail never bans it again`,
        changes: [{ file: '/etc/fail2ban/jail.local', text: `[${jail ?? 'DEFAULT'}]\nignoreip = 127.0.0.1/8 ::1 ${addr}` }],
        commands: [jail ? shellCommand(['fail2ban-client', 'set', jail, 'unbanip', bare]) : shellCommand(['fail2ban-client', 'unban', bare]), shellCommand(['fail2ban-client', 'reload'])],
        verify: [jail ? shellCommand(['fail2ban-client', 'get', jail, 'ignoreip']) : shellCommand(['fail2ban-client', 'banned', bare]), jail ? shellCommand(['fail2ban-client', 'status', jail]) : 'fail2ban-client status'],
      };
    }
    case 'sshguard':
      return {
        id: 'ban.sshguard',
        summary: `lift sshguard's block of ${addr} and put it on sshguard's whitelist`,
        changes: [{ file: '/etc/sshguard/whitelist', text: addr }],
        commands: [
          ...(f.table && f.set && name(f.table) && name(f.set) && FAMILIES.has(f.family ?? '') ? [shellCommand(['nft', 'delete', 'element', f.family!, f.table, f.set, `{ ${addr} }`])] : []),
          ...(f.set && name(f.set) && !f.table ? [shellCommand(['ipset', 'del', f.set, addr])] : []),
          shellCommand(['sed', '-i', `/|${bare.replace(/[.]/g, '\\.')}$/d`, '/var/lib/sshguard/blacklist.db']),
          'systemctl restart sshguard',
        ],
        verify: ['nft list table ip sshguard 2>/dev/null; ipset list sshguard4 2>/dev/null'],
      };
    case 'crowdsec':
      return {
        id: 'ban.crowdsec',
        summary: `delete CrowdSec's decision on ${addr} and allowlist it so it is not banned again`,
        changes: [],
        commands: [shellCommand(['cscli', 'decisions', 'delete', cidr.bits === (cidr.family === 4 ? 32 : 128) ? '--ip' : '--range', addr]), shellCommand(['cscli', 'allowlists', 'create', 'sshwarden-doctor', '-d', 'own users']), shellCommand(['cscli', 'allowlists', 'add', 'sshwarden-doctor', addr])],
        verify: [shellCommand(['cscli', 'decisions', 'list', '--ip', bare])],
      };
    case 'sshwarden':
      return {
        id: 'ban.sshwarden',
        summary: `lift sshwarden's ban of ${addr} and allowlist it`,
        changes: [],
        commands: [shellCommand(['sshwarden', 'unban', addr]), shellCommand(['sshwarden', 'allow', addr])],
        verify: ['sshwarden status'],
      };
    case 'nftables': {
      const fam = f.family && FAMILIES.has(f.family) ? f.family : null;
      const table = name(f.table);
      if (!fam || !table) return null;
      if (f.set && name(f.set)) {
        return {
          id: 'ban.nftables-set',
          summary: `remove ${addr} from nftables set ${fam} ${table} ${f.set}, and find what adds it (a script, a ban tool, /etc/nftables.conf) so it is not put back`,
          changes: [],
          commands: [shellCommand(['nft', 'delete', 'element', fam, table, f.set, `{ ${addr} }`]), shellCommand(['grep', '-rn', f.set, '/etc/nftables.conf', '/etc/nftables.d'])],
          verify: [shellCommand(['nft', 'list', 'set', fam, table, f.set])],
        };
      }
      const chain = name(f.chain);
      if (!chain || f.handle === undefined || !Number.isInteger(f.handle)) return null;
      return {
        id: 'ban.nftables-rule',
        summary: `delete the nftables rule that drops ${addr} (${fam} ${table} ${chain}, handle ${f.handle}), and remove it from /etc/nftables.conf so a reboot does not bring it back`,
        changes: [],
        commands: [shellCommand(['nft', 'delete', 'rule', fam, table, chain, 'handle', String(f.handle)]), shellCommand(['grep', '-n', bare, '/etc/nftables.conf'])],
        verify: [shellCommand(['nft', '-a', 'list', 'chain', fam, table, chain])],
      };
    }
    case 'iptables': {
      const tool = f.tool ?? (cidr.family === 6 ? 'ip6tables' : 'iptables');
      if (!f.rule || !/^-A [A-Za-z0-9_.-]+ /.test(f.rule) || /[;&|`$<>\\]/.test(f.rule)) return null;
      const words = f.rule.split(/\s+/);
      words[0] = '-D';
      return {
        id: 'ban.iptables',
        summary: `delete the ${tool} rule that drops ${addr}, and remove it from the saved rules (/etc/iptables/rules.v${tool === 'ip6tables' ? 6 : 4}) so a reboot does not bring it back`,
        changes: [],
        commands: [shellCommand([tool, ...words]), `${tool}-save > /etc/iptables/rules.v${tool === 'ip6tables' ? 6 : 4}`],
        verify: [`${tool} -S | grep -F -- ${shellCommand([bare])}`],
      };
    }
    case 'ipset': {
      const set = name(f.set);
      if (!set) return null;
      return {
        id: 'ban.ipset',
        summary: `remove ${addr} from ipset ${set}, and find what adds it so it is not put back`,
        changes: [],
        commands: [shellCommand(['ipset', 'del', set, addr])],
        verify: [shellCommand(['ipset', 'test', set, bare])],
      };
    }
  }
}
