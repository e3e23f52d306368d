/** AppArmor or SELinux denies sshd something (a non-standard port, a key file's label). */
import type { Advice } from './types.ts';

export function macDenialAdvice(f: { system: 'apparmor' | 'selinux' }): Advice {
  if (f.system === 'selinux') {
    return {
      id: 'mac-denial.selinux',
      summary: 'SELinux denies sshd: label a non-standard port as ssh_port_t and restore the labels of sshd files, rather than turning SELinux off',
      changes: [],
      commands: ['ausearch -m avc -c sshd -ts recent | audit2why', 'semanage port -a -t ssh_port_t -p tcp PORT', 'restorecon -Rv /etc/ssh ~/.ssh'],
      verify: ['ausearch -m avc -c sshd -ts recent'],
    };
  }
  return {
    id: 'mac-denial.apparmor',
    summary: "AppArmor denies sshd: read the denial, then allow what sshd needs in its profile (or put the profile in complain mode while you fix it)",
    changes: [],
    commands: ['journalctl -k -g \'apparmor="DENIED"\' --since -24h', 'aa-complain /usr/sbin/sshd'],
    verify: ['journalctl -k -g \'apparmor="DENIED"\' --since -10min'],
  };
}
