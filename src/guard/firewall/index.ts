import type { GuardConfig } from '../config.ts';
import type { FirewallBackend } from './backend.ts';
import { NftablesBackend } from './nftables.ts';
import { IpsetBackend } from './ipset.ts';
import { CommandBackend } from './command.ts';
import { NoFirewall } from './none.ts';

export type { FirewallBackend, FirewallEntry, FirewallChanges } from './backend.ts';
export { FirewallError } from './backend.ts';

/** The backend the config names (`none` when `dryRun`). `exec` prefixes firewall programs (tests: `ip netns exec NS`). */
export function createFirewall(cfg: GuardConfig, opts: { dryRun?: boolean; exec?: readonly string[] } = {}): FirewallBackend {
  const fw = cfg.firewall;
  const base = { name: fw.name, scope: fw.scope, ports: fw.ports, exec: opts.exec, ipv4Prefix: cfg.aggregate.ipv4_prefix, ipv6Prefix: cfg.aggregate.ipv6_prefix };
  if (opts.dryRun) return new NoFirewall();
  switch (fw.backend) {
    case 'nftables':
      return new NftablesBackend(base);
    case 'ipset':
      return new IpsetBackend(base);
    case 'command':
      return new CommandBackend(fw.command!, opts.exec);
    case 'none':
      return new NoFirewall();
  }
}
