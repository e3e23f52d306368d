import type { Command } from '@commander-js/extra-typings';
import { UserError } from '../user-error.ts';
import type { PcapOpts } from './pcap-run.ts';

function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0 || n > max) throw new UserError(`${name}: must be an integer from 1 to ${max}, got "${v}"`);
    return n;
  };
}

function ports(v: string, prev: number[] | undefined): number[] {
  return [...(prev ?? []), positiveInt('--port', 65535)(v)];
}

export function registerPcap(program: Command): void {
  program
    .command('pcap')
    .description(
      'Read a packet capture (pcap or pcapng, e.g. from tcpdump) and give every SSH connection the outcome `analyze` gives it, ' +
        'from the wire: who closed first and when, bytes, identification lines, key exchange, Zeek conn_state. ' +
        'With --log, join each connection with what sshd logged and list what only one side saw.',
    )
    .argument('<file>', 'capture file (pcap, pcapng, also gzip-compressed); "-" reads stdin')
    .option('--port <port>', 'SSH server port (repeatable; default 22)', ports)
    .option('--log <files...>', 'sshd log file(s) to join with the capture (any format analyze reads)')
    .option('--json', 'one JSON document on stdout (see README "pcap")')
    .option('--limit <n>', 'rows per list in the text report', positiveInt('--limit'), 50)
    .option('--login-grace-time <seconds>', "sshd's LoginGraceTime: a server close after that much client silence is a timeout (default: ≥ 1 s of silence, marked inferred)", positiveInt('--login-grace-time'))
    .option('--max-flows <n>', 'open connections kept in memory at most; beyond, the oldest are reported early (counted)', positiveInt('--max-flows'), 200_000)
    .addHelpText(
      'after',
      `
Examples:
  tcpdump -i any -w ssh.pcap 'tcp port 22'                   # capture (Ctrl-C to stop)
  sshwarden pcap ssh.pcap                                     # every connection: outcome, who closed, timings, algorithms
  sshwarden pcap ssh.pcap --log /var/log/auth.log             # joined with the log: both views, what only one saw
  tcpdump -i any -U -w - 'tcp port 22' | sshwarden pcap -     # live, from a pipe
  sshwarden pcap ssh.pcap --port 2222 --json > wire.json

Exit codes: 0 analysed, 2 usage error, 3 an input could not be read or the capture is damaged (what could be read was analysed).`,
    )
    .action(async (file, opts) => {
      const { runPcap } = await import('./pcap-run.ts');
      process.exitCode = await runPcap(file, opts as PcapOpts);
    });
}
