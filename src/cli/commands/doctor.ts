import type { Command } from '@commander-js/extra-typings';
import { colors } from '../terminal.ts';
import { collect } from '../log-inputs.ts';


export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Why do SSH connections fail here ("kex_exchange_identification: Connection closed by remote host")? Reads the logs, ' +
        'the config and the host (bans, firewall, listeners, host keys, limits), ranks the causes, and prints the evidence and the fix. Read-only.',
    )
    .argument('[target]', 'user@host: diagnose from this (client) side: probe + ssh -vvv, explained')
    .option('--client <address>', 'on the server: why can this address (or user@address) not get in? (its /64 for IPv6)')
    .option('--since <time>', 'start of the log window: "24h", "2 hours ago", "2026-12-04 10:00" (default: 24h for this host\'s logs; the whole file for --log)')
    .option('--until <time>', 'end of the log window (default: now)')
    .option('--log <file>', 'read this log instead of the system one (repeatable; default: auth.log files or the journal, as the guard picks)', collect)
    .option('--config <file>', 'sshd_config to check (default: /etc/ssh/sshd_config; with --offline, none unless given: this host\'s config need not be the log\'s)')
    .option('--pcap <file>', 'also read this capture (tcpdump -w; pcap or pcapng, .gz too): what the wire saw and the log could not (unlogged drops, unanswered or reset SYNs, no common algorithm), joined with the logs')
    .option('--offline', 'only the logs, config and capture given (any of them; a config alone is checked too): no live checks of this host')
    .option('--fail2ban-socket <path>', "fail2ban's socket when not at its default place")
    .option('-p, --port <port>', 'with a target: its port')
    .option('-F, --ssh-config-file <file>', 'with a target: the ssh_config to use (as ssh -F)')
    .option('--timeout <seconds>', 'per live check (and per connection attempt)', '10')
    .option('--json', '{verdict, side, client, window, causes[], checked[], unchecked[], inputFailed} on stdout')
    .addHelpText(
      'after',
      `
Examples:
  sudo sshwarden doctor                                # this server: last 24 h of sshd logs, the config, the host
  sudo sshwarden doctor --client 198.51.100.7          # why can't this address get in? (also user@198.51.100.7)
  sshwarden doctor alice@server.example.org            # from the client machine: probe + ssh -vvv, explained
  sshwarden doctor --since "2 hours ago" --json        # scripting; same causes and evidence
  sshwarden doctor --log /srv/ssh/auth.log --config /srv/ssh/sshd_config
  sshwarden doctor --offline --log auth.log --config sshd_config
  sshwarden doctor --offline --log auth.log --pcap ssh.pcap --client 198.51.100.7   # the wire too

doctor never changes the host: it prints the fix commands, it does not run them.
Without root some checks cannot look (bans, firewall, host keys); they are listed with the reason.
Exit codes: 0 nothing needs action (scanners only), 1 a cause needs action, 2 usage, 3 nothing needs action but a log, the
config or the capture given could not be read, in full or in part (what --offline leaves out is not a failure).`,
    )
    .action(async (target, opts) => {
      const { runDoctor } = await import('./doctor-run.ts');
      process.exitCode = await runDoctor(target, opts, colors);
    });
}

