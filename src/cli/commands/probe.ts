import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { performance } from 'node:perf_hooks';
import { getProfile, profileNames } from '../../profiles/index.ts';
import { runAttempt, sniffTls } from '../../probe/attempt.ts';
import { localClient, type SshDestination } from '../../probe/local-client.ts';
import type { ClientOffer } from '../../probe/negotiation.ts';
import { LIMITS, runProbe } from '../../probe/probe.ts';
import { renderProbe } from '../../probe/render.ts';
import { ResolveError, resolveTarget } from '../../probe/resolve.ts';
import { parsePort, parseTarget, type Target } from '../../probe/target.ts';
import { EXIT } from '../exit-codes.ts';
import { colors, stderrIsTty } from '../terminal.ts';
import { UserError } from '../user-error.ts';

const VERSION = '0.1.0';

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^[0-9]+$/.test(v)) throw new UserError(`${name}: "${v}" is not a whole number`);
    const n = Number(v);
    if (n < min || n > max) throw new UserError(`${name}: ${n} is out of range (${min}-${max}; probing stays polite)`);
    return n;
  };
}

function secondsOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || n <= 0 || n > LIMITS.timeoutMaxSeconds) throw new UserError(`${name}: "${v}" must be a number of seconds in (0, ${LIMITS.timeoutMaxSeconds}]`);
    return n;
  };
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description(
      'Connect to an SSH server from this side and tell apart why it closes on you: refused, dropped, a wrong service ' +
        '(HTTP, TLS), accept-then-close, silence, MaxStartups/penalty refusals, or no common algorithm.',
    )
    .argument('<target>', 'host, host:port, [IPv6]:port or user@host (every A and AAAA address of a name is probed)')
    .option('-p, --port <port>', 'port when the target does not name one (default 22)')
    .addOption(new Option('--client <profile>', 'compare algorithms with a named client profile instead of the local ssh (e.g. openssh-8.2, putty-0.76)'))
    .option('--repeat <n>', `attempts per address, to measure intermittent refusals (1-${LIMITS.repeatMax})`, intOption('--repeat', 1, LIMITS.repeatMax), 1)
    .option('--concurrency <n>', `attempts in flight at once (1-${LIMITS.concurrencyMax})`, intOption('--concurrency', 1, LIMITS.concurrencyMax), 1)
    .option('--timeout <seconds>', 'TCP connect timeout, and the longest an attempt may take once connected', secondsOption('--timeout'), 5)
    .option('-4, --ipv4', 'probe IPv4 addresses only')
    .option('-6, --ipv6', 'probe IPv6 addresses only')
    .option('-F, --ssh-config-file <file>', 'read this ssh_config instead of ~/.ssh/config (as `ssh -F`)')
    .option('--ignore-ssh-config', 'probe the name as given, without the HostName/Port your ssh config maps it to')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Examples:
  sshwarden probe host.example.org                     # port 22, every IPv4 and IPv6 address of the name
  sshwarden probe 203.0.113.10:2222 --client openssh-8.2
  sshwarden probe host --repeat 20 --concurrency 4     # intermittent? measure the share of refusals
  sshwarden probe '[2001:db8::1]:22' --json

What it does: one TCP connection per attempt; it listens first, sends an SSH identification
like ssh does, reads the server's key-exchange offer, and leaves with an SSH disconnect. It
never authenticates. Attempts are bounded (--repeat ≤ ${LIMITS.repeatMax}, --concurrency ≤ ${LIMITS.concurrencyMax}).
Exit status: 0 SSH reachable and compatible, 1 a problem was found, 2 bad usage.
Client profiles (--client): openssh-X.Y (any release from 6.6), ${profileNames().filter((n) => !n.startsWith('openssh-')).join(', ')}`,
    )
    .action(async (targetText, opts) => {
      if (opts.ipv4 && opts.ipv6) throw new UserError('-4 and -6 exclude each other');
      let target: Target;
      let explicitPort: number | null;
      try {
        target = parseTarget(targetText, 0);
        explicitPort = opts.port !== undefined ? parsePort(opts.port, '--port') : target.port === 0 ? null : target.port;
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      const family = opts.ipv4 ? 4 : opts.ipv6 ? 6 : null;
      if (target.literal && family && target.literal !== family) throw new UserError(`${target.host} is an IPv${target.literal} address but -${family} was given`);
      // What the user's ssh would do for this name: its effective offers and its HostName/Port/ProxyJump.
      const local = localClient(target.host, explicitPort, { configFile: opts.sshConfigFile });
      if (opts.sshConfigFile && local.error) throw new UserError(`--ssh-config-file: ${local.error}`);
      const notes: string[] = [];
      let sshConfig: SshDestination | null = null;
      const dest = local.destination;
      if (dest && !opts.ignoreSshConfig && (dest.hostName.toLowerCase() !== target.host.toLowerCase() || dest.port !== (explicitPort ?? 22) || dest.proxyJump || dest.proxyCommand)) {
        sshConfig = dest;
        if (dest.hostName.toLowerCase() !== target.host.toLowerCase() || dest.port !== (explicitPort ?? 22)) {
          try {
            target = { ...parseTarget(`${dest.hostName.includes(':') ? `[${dest.hostName}]` : dest.hostName}:${dest.port}`, 22), input: targetText };
          } catch (e) {
            throw new UserError(`your ssh config maps ${target.host} to an unusable destination: ${(e as Error).message}`);
          }
        }
        if (dest.proxyJump || dest.proxyCommand) notes.push(`your ssh reaches this host through ${dest.proxyJump ? `ProxyJump ${dest.proxyJump}` : `ProxyCommand ${dest.proxyCommand}`}; this probe connects directly from here (run it on the bastion for its view)`);
      } else target = { ...target, port: explicitPort ?? 22 };
      let client: ClientOffer | null = null;
      let clientNote: string | null = null;
      if (opts.client) {
        const prof = getProfile(opts.client);
        if (!prof) throw new UserError(`--client: unknown profile "${opts.client}" (known: openssh-X.Y, ${profileNames().filter((n) => !n.startsWith('openssh-')).join(', ')})`);
        client = { name: prof.name, source: 'profile', kex: prof.kex, hostKey: prof.hostKey, ciphers: prof.ciphers, macs: prof.macs, compression: prof.compression };
      } else if (local.offer) client = local.offer;
      else clientNote = local.error;
      const timeoutMs = Math.round(opts.timeout * 1000);
      const progress = stderrIsTty() && !opts.json;
      let report;
      try {
        report = await runProbe(
          { target, repeat: opts.repeat, concurrency: opts.concurrency, family, client, clientNote, connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, sshConfig, notes },
          {
            resolve: resolveTarget,
            attempt: (address, port) =>
              runAttempt(address, port, { connectTimeoutMs: timeoutMs, readTimeoutMs: timeoutMs, listenFirstMs: Math.min(500, timeoutMs / 2), identification: `SSH-2.0-sshwarden_${VERSION} probe`, now: () => performance.now() }),
            sniffTls: (address, port) => sniffTls(address, port, Math.min(timeoutMs, 3000)),
            onAttempt: progress ? (d, t) => process.stderr.write(`\rprobing… ${d}/${t}${d === t ? '\r\x1b[K' : ''}`) : undefined,
          },
        );
      } catch (e) {
        if (e instanceof ResolveError) throw new UserError(e.message, EXIT.FINDINGS);
        throw e;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(renderProbe(report, colors));
      process.exitCode = report.verdict.ok ? EXIT.OK : EXIT.FINDINGS;
    });
}
