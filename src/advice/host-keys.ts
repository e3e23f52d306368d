/** Host keys missing, empty or readable by others: sshd cannot start or drops every connection. */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

export function hostKeysAdvice(f: { problems: { file: string; problem: string }[] }): Advice {
  const files = f.problems.map((p) => p.file).filter((x) => /^\/[A-Za-z0-9_./-]+$/.test(x));
  const perms = f.problems.filter((p) => p.problem.startsWith('permissions')).map((p) => p.file).filter((x) => files.includes(x));
  return {
    id: 'host-keys.fix',
    summary: `host keys ${f.problems.map((p) => `${p.file} (${p.problem})`).join(', ')}: regenerate the missing ones and make private keys readable by root only`,
    changes: [],
    commands: ['ssh-keygen -A', ...(perms.length ? [shellCommand(['chmod', '600', ...perms])] : []), 'sshd -t', 'systemctl restart ssh || systemctl restart sshd'],
    verify: ['sshd -t', 'ls -l /etc/ssh/ssh_host_*_key'],
  };
}
