import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { getProfile, profileNames } from '../../profiles/index.ts';
import type { ClientOffer } from '../../probe/negotiation.ts';
import { LIMITS } from '../../probe/probe.ts';
import { probeTarget, ProbeInputError, ResolveError } from '../../probe/probe-target.ts';
import { renderProbe } from '../../probe/render.ts';
import { EXIT } from '../exit-codes.ts';
import { colors, stderrIsTty } from '../terminal.ts';
import { UserError } from '../user-error.ts';

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
      let client: ClientOffer | null = null;
      if (opts.client) {
        const prof = getProfile(opts.client);
        if (!prof) throw new UserError(`--client: unknown profile "${opts.client}" (known: openssh-X.Y, ${profileNames().filter((n) => !n.startsWith('openssh-')).join(', ')})`);
        client = { name: prof.name, source: 'profile', kex: prof.kex, hostKey: prof.hostKey, ciphers: prof.ciphers, macs: prof.macs, compression: prof.compression };
      }
      const progress = stderrIsTty() && !opts.json;
      let report;
      try {
        report = await probeTarget({
          target: targetText,
          port: opts.port,
          client,
          repeat: opts.repeat,
          concurrency: opts.concurrency,
          timeoutSeconds: opts.timeout,
          family: opts.ipv4 ? 4 : opts.ipv6 ? 6 : null,
          sshConfigFile: opts.sshConfigFile,
          ignoreSshConfig: opts.ignoreSshConfig,
          onAttempt: progress ? (d, t) => process.stderr.write(`\rprobing… ${d}/${t}${d === t ? '\r\x1b[K' : ''}`) : undefined,
        });
      } catch (e) {
        if (e instanceof ProbeInputError) throw new UserError(e.message);
        if (e instanceof ResolveError) throw new UserError(e.message, EXIT.FINDINGS);
        throw e;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(renderProbe(report, colors));
      process.exitCode = report.verdict.ok ? EXIT.OK : EXIT.FINDINGS;
    });
}
