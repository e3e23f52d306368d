/** The configuration is invalid (sshd -t rejects it) or was edited and never reloaded. */
import type { Advice } from './types.ts';

export function configInvalidAdvice(f: { message: string }): Advice {
  return {
    id: 'config-state.fix',
    summary: `sshd rejects its configuration (${f.message}): sshd will not start or restart with it; fix the line sshd -t names`,
    changes: [],
    commands: ['sshd -t', 'systemctl restart ssh || systemctl restart sshd'],
    verify: ['sshd -t && echo config ok', 'systemctl is-active ssh || systemctl is-active sshd'],
  };
}

export function configNotReloadedAdvice(): Advice {
  return {
    id: 'config-state.reload',
    summary: 'the configuration was changed after sshd started and sshd still runs with the old one: check it, then reload',
    changes: [],
    commands: ['sshd -t', 'systemctl reload ssh || systemctl reload sshd'],
    verify: ['ss -ltnp | grep sshd', "journalctl -u ssh -n 5 --no-pager | grep -E 'SIGHUP|listening'"],
  };
}
