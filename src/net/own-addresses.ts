/**
 * The server's own addresses (every interface, v4 and v6), which the guard never bans: a
 * sshd log can show connections from the host itself (monitoring, port forwards, a local
 * jump), and banning them cuts the admin off. Read at start and at each reload.
 */
import { networkInterfaces } from 'node:os';
import { canonicalAddress } from './address.ts';

export function ownAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const c = canonicalAddress(a.address);
      if (c) out.add(c);
    }
  }
  return [...out];
}
