/** /run/sshd, sshd's privilege separation directory, is missing: sshd refuses to start (or every connection fails). */
import type { Advice } from './types.ts';

export function privsepDirAdvice(): Advice {
  return {
    id: 'privsep-dir.create',
    summary: "/run/sshd (sshd's privilege separation directory) is missing: create it now, and let systemd create it at boot (RuntimeDirectory=sshd in ssh.service)",
    changes: [{ file: '/etc/tmpfiles.d/sshd.conf', text: 'd /run/sshd 0755 root root' }],
    commands: ['mkdir -p -m 0755 /run/sshd', 'systemctl restart ssh || systemctl restart sshd'],
    verify: ['ls -ld /run/sshd', 'sshd -t'],
  };
}
