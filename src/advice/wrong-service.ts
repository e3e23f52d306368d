/**
 * Another service answers on the SSH port (a web server, TLS, a database): the client uses the
 * wrong port, or a forward / NAT / load balancer sends the port elsewhere.
 */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

/** `HOST:PORT` as `sshwarden probe` takes it (IPv6 literals in brackets). */
export function probeTarget(host: string, port: number | null): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === null ? h : `${h}:${port}`;
}

/** `wrong-service.port`: `service` names what answered (e.g. `HTTP (nginx/1.22.1)`). Host and port are validated by the caller. */
export function wrongServiceAdvice(f: { host: string; port: number | null; service: string }): Advice {
  const port = f.port ?? 22;
  return {
    id: 'wrong-service.port',
    summary: `port ${port} of ${f.host} answers ${f.service}, not SSH: connect to the port sshd really listens on (\`ssh -p PORT\`), or fix the port forward / NAT / load balancer that sends port ${port} to ${f.service}`,
    changes: [],
    commands: ['ss -ltnp | grep sshd'],
    verify: [shellCommand(['sshwarden', 'probe', probeTarget(f.host, f.port)])],
  };
}
