/** sshd listens on one address family (IPv4 or IPv6) and clients come over the other. */
import type { Advice } from './types.ts';
import { dropInLine } from './sshd-drop-in.ts';

export function addressFamilyAdvice(f: { missing: 4 | 6 }): Advice {
  return {
    id: 'address-family.listen',
    summary: `sshd does not listen on IPv${f.missing}: clients that resolve the name to an IPv${f.missing} address get "Connection refused"; listen on both (AddressFamily any, no ListenAddress of one family only), or remove the ${f.missing === 6 ? 'AAAA' : 'A'} record`,
    changes: [dropInLine('AddressFamily any')],
    commands: ['sshd -T | grep -Ei "^(addressfamily|listenaddress) "', 'sshd -t', 'systemctl restart ssh || systemctl restart sshd'],
    verify: ['ss -ltnp | grep sshd'],
  };
}
