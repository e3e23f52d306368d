/** AllowUsers/DenyUsers/AllowGroups or a Match block refuse the user. */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

export function accessRulesAdvice(f: { directive: string; user: string | null; where: string | null; address: string | null }): Advice {
  const user = f.user !== null && /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/.test(f.user) ? f.user : null;
  return {
    id: 'access-rules.allow',
    summary: `${f.directive}${f.where ? ` (${f.where})` : ''} refuses ${user ?? 'the user'}: add ${user ?? 'the user'} to AllowUsers (or take it out of DenyUsers), check with sshd -T -C, then reload`,
    changes: user ? [{ file: f.where?.replace(/:\d+$/, '') ?? '/etc/ssh/sshd_config', text: `AllowUsers … ${user}` }] : [],
    commands: ['sshd -t', 'systemctl reload ssh || systemctl reload sshd'],
    verify: [shellCommand(['sshd', '-T', '-C', `user=${user ?? 'USER'},host=${f.address ?? 'ADDR'},addr=${f.address ?? 'ADDR'}`]) + ' | grep -Ei "^(allow|deny)(users|groups) "'],
  };
}
