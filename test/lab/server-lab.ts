/**
 * A lab with a server: the setup the guard's end-to-end tests and the pcap fixture maker share.
 * `serverLab` creates the namespaces at once (`srv` at .1, and one host per named client at its
 * number); `start()` then starts a private rsyslog and a real sshd on `srv` logging through it;
 * `stop()` ends what was started (sshd, rsyslog, by PID) and removes the namespaces, also after a
 * failed or partial start.
 *
 *   const L = serverLab('gx', { scan: 21, user: 31 });           // L.srv, L.hosts.scan, L.hosts.user
 *   const { syslog, sshd } = await L.start({ sshd: { LogLevel: 'INFO' } });
 *   …
 *   await L.stop();
 */
import { Lab, type Host } from './netns.ts';
import { startRsyslog, type Rsyslog, type RsyslogOptions } from './rsyslog.ts';
import { startSshd, type Sshd, type SshdOptions } from './sshd.ts';

export interface ServerLab<N extends string> {
  readonly lab: Lab;
  readonly srv: Host;
  readonly hosts: Record<N, Host>;
  /** The private rsyslog (`rsyslog` options), then sshd on `srv` logging through it (`sshd`: its sshd_config keywords). */
  start(o?: { rsyslog?: RsyslogOptions; sshd?: SshdOptions['options'] }): Promise<{ syslog: Rsyslog; sshd: Sshd }>;
  stop(): Promise<void>;
}

/** `clients`: host name → last address octet (192.0.2.n, 2001:db8::n). */
export function serverLab<N extends string>(prefix: string, clients: Record<N, number>): ServerLab<N> {
  const lab = Lab.create(prefix);
  const srv = lab.host('srv', 1);
  const hosts = Object.fromEntries(Object.entries<number>(clients).map(([name, n]) => [name, lab.host(name, n)])) as Record<N, Host>;
  let syslog: Rsyslog | null = null;
  let sshd: Sshd | null = null;
  return {
    lab,
    srv,
    hosts,
    async start(o = {}) {
      syslog = await startRsyslog(o.rsyslog);
      sshd = await startSshd(srv, { syslog, options: o.sshd });
      return { syslog, sshd };
    },
    async stop() {
      try {
        await sshd?.stop();
        await syslog?.stop();
      } finally {
        await lab.destroy();
      }
    },
  };
}
