/**
 * probeTarget: one probe run with its I/O (used by `probe`, `doctor user@host` and `report`):
 * parse the target, apply what the user's ssh config maps it to (HostName/Port/ProxyJump), pick
 * the client offer to compare with (a named profile or the local ssh's), then resolve and attempt
 * (./probe.ts) with the real network I/O (./attempt.ts, ./resolve.ts).
 *
 * Bad targets and options throw ProbeInputError (the caller's usage error); a name that does not
 * resolve throws ResolveError (a finding).
 */
import { performance } from 'node:perf_hooks';
import { runAttempt, sniffTls } from './attempt.ts';
import { localClient, type SshDestination } from './local-client.ts';
import type { ClientOffer } from './negotiation.ts';
import { runProbe, type ProbeReport } from './probe.ts';
import { resolveTarget } from './resolve.ts';
import { parsePort, parseTarget, type Target } from './target.ts';

export { ResolveError } from './resolve.ts';

const VERSION = '0.1.0';

export class ProbeInputError extends Error {}

export interface ProbeTargetOptions {
  /** host, host:port, [IPv6]:port or user@host */
  target: string;
  /** --port text, when given */
  port?: string;
  /** A client profile to compare with instead of the local ssh. */
  client?: ClientOffer | null;
  repeat?: number;
  concurrency?: number;
  timeoutSeconds?: number;
  family?: 4 | 6 | null;
  /** ssh_config to read instead of ~/.ssh/config */
  sshConfigFile?: string;
  ignoreSshConfig?: boolean;
  onAttempt?: (done: number, total: number) => void;
}

export async function probeTarget(o: ProbeTargetOptions): Promise<ProbeReport> {
  const family = o.family ?? null;
  let target: Target;
  let explicitPort: number | null;
  try {
    target = parseTarget(o.target, 0);
    explicitPort = o.port !== undefined ? parsePort(o.port, '--port') : target.port === 0 ? null : target.port;
  } catch (e) {
    throw new ProbeInputError((e as Error).message);
  }
  if (target.literal && family && target.literal !== family) throw new ProbeInputError(`${target.host} is an IPv${target.literal} address but -${family} was given`);
  // What the user's ssh would do for this name: its effective offers and its HostName/Port/ProxyJump.
  const local = localClient(target.host, explicitPort, { configFile: o.sshConfigFile });
  if (o.sshConfigFile && local.error) throw new ProbeInputError(`--ssh-config-file: ${local.error}`);
  const notes: string[] = [];
  let sshConfig: SshDestination | null = null;
  const dest = local.destination;
  if (dest && !o.ignoreSshConfig && (dest.hostName.toLowerCase() !== target.host.toLowerCase() || dest.port !== (explicitPort ?? 22) || dest.proxyJump || dest.proxyCommand)) {
    sshConfig = dest;
    if (dest.hostName.toLowerCase() !== target.host.toLowerCase() || dest.port !== (explicitPort ?? 22)) {
      try {
        target = { ...parseTarget(`${dest.hostName.includes(':') ? `[${dest.hostName}]` : dest.hostName}:${dest.port}`, 22), input: o.target };
      } catch (e) {
        throw new ProbeInputError(`your ssh config maps ${target.host} to an unusable destination: ${(e as Error).message}`);
      }
    }
    if (dest.proxyJump || dest.proxyCommand) notes.push(`your ssh reaches this host through ${dest.proxyJump ? `ProxyJump ${dest.proxyJump}` : `ProxyCommand ${dest.proxyCommand}`}; this probe connects directly from here (run it on the bastion for its view)`);
  } else target = { ...target, port: explicitPort ?? 22 };
  let client: ClientOffer | null = null;
  let clientNote: string | null = null;
  if (o.client) client = o.client;
  else if (local.offer) client = local.offer;
  else clientNote = local.error;
  const timeoutMs = Math.round((o.timeoutSeconds ?? 5) * 1000);
  return runProbe(
    { target, repeat: o.repeat ?? 1, concurrency: o.concurrency ?? 1, family, client, clientNote, connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, sshConfig, notes },
    {
      resolve: resolveTarget,
      attempt: (address, port) =>
        runAttempt(address, port, { connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, listenFirstMs: Math.min(500, timeoutMs / 2), identification: `SSH-2.0-sshwarden_${VERSION} probe`, now: () => performance.now() }),
      sniffTls: (address, port) => sniffTls(address, port, Math.min(timeoutMs, 3000)),
      onAttempt: o.onAttempt,
    },
  );
}
