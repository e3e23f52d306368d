/** TCP wrappers (hosts.deny) refuse the client (only sshd builds linked with libwrap). */
import type { Advice } from './types.ts';
import { canonicalAddress } from '../net/address.ts';

export function tcpWrappersAdvice(f: { address: string | null }): Advice {
  const a = f.address !== null ? canonicalAddress(f.address) : null;
  return {
    id: 'tcp-wrappers.allow',
    summary: 'TCP wrappers (/etc/hosts.deny) refuse the connection before sshd says a word: allow the address in /etc/hosts.allow, or remove the deny rule',
    changes: [{ file: '/etc/hosts.allow', text: `sshd: ${a ?? 'ADDRESS'}` }],
    commands: ['grep -n sshd /etc/hosts.deny /etc/hosts.allow'],
    verify: ['grep -n sshd /etc/hosts.allow'],
  };
}
