/** Memory or PID limits that make sshd fail to fork or accept. */
import type { Advice } from './types.ts';

export function resourcesAdvice(f: { problem: string }): Advice {
  return {
    id: 'resources.free',
    summary: `${f.problem}: find what uses it, and raise the limit (TasksMax of the unit or container, memory)`,
    changes: [{ file: '/etc/systemd/system/ssh.service.d/limits.conf', text: '[Service]\nTasksMax=infinity' }],
    commands: ['systemctl status ssh --no-pager', 'ps -eo pid,ppid,rss,cmd --sort=-rss | head -20', 'systemctl daemon-reload'],
    verify: ['systemctl show -p TasksCurrent,TasksMax ssh.service', 'grep MemAvailable /proc/meminfo'],
  };
}
