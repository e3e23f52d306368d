/** The sshd service itself: not running, not listening where it should, socket activation that decides the port. */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

export function sshdNotRunningAdvice(): Advice {
  return {
    id: 'service.start',
    summary: 'sshd is not running: check why it stopped (its last log lines), fix that, then start it',
    changes: [],
    commands: ['journalctl -u ssh -u sshd -n 50 --no-pager', 'sshd -t', 'systemctl start ssh || systemctl start sshd'],
    verify: ['systemctl is-active ssh || systemctl is-active sshd', 'ss -ltnp | grep sshd'],
  };
}

export function notListeningAdvice(f: { port: number }): Advice {
  const port = Number.isInteger(f.port) && f.port > 0 && f.port < 65536 ? f.port : 22;
  return {
    id: 'service.listen',
    summary: `sshd does not listen on port ${port}: check Port/ListenAddress (sshd -T), that the running sshd loaded them (restart it), and that nothing else holds the port`,
    changes: [],
    commands: ['sshd -T | grep -Ei "^(port|listenaddress|addressfamily) "', 'sshd -t', 'systemctl restart ssh || systemctl restart sshd'],
    verify: [`ss -ltnp | grep ${shellCommand([`:${port}`])}`],
  };
}

export function socketActivationAdvice(): Advice {
  return {
    id: 'service.socket',
    summary: 'systemd ssh.socket, not sshd_config, decides where sshd listens: put the port in ListenStream (or use ssh.service instead of the socket)',
    changes: [{ file: '/etc/systemd/system/ssh.socket.d/listen.conf', text: '[Socket]\nListenStream=\nListenStream=PORT' }],
    commands: ['systemctl daemon-reload', 'systemctl restart ssh.socket', '# or: systemctl disable --now ssh.socket && systemctl enable --now ssh.service'],
    verify: ['systemctl cat ssh.socket | grep ListenStream', 'ss -ltnp | grep -E "sshd|systemd"'],
  };
}

/** sshd-session/sshd-auth missing (9.8+): the package was upgraded halfway or sshd was not restarted after it. */
export function sshdSessionAdvice(): Advice {
  return {
    id: 'service.sshd-session',
    summary: 'the sshd-session helper (OpenSSH 9.8+) is missing: every connection fails after accept; reinstall openssh-server and restart sshd',
    changes: [],
    commands: ['apt-get install --reinstall openssh-server || dnf reinstall openssh-server', 'systemctl restart ssh || systemctl restart sshd'],
    verify: ['ls -l /usr/lib/openssh/sshd-session /usr/libexec/sshd-session 2>/dev/null'],
  };
}
