import type { Command } from '@commander-js/extra-typings';
// Only the option table is loaded with the CLI; the engine and the page are imported when `report`
// runs (./report-run.ts).
import { addLogInputOptions, positiveInt } from '../log-inputs.ts';
import type { ReportOpts } from './report-run.ts';

export function registerReport(program: Command): void {
  addLogInputOptions(
    program
      .command('report')
      .description(
        'Write one self-contained HTML page (no network needed to open it) that shows what happened in these sshd logs: ' +
          'the answer, a timeline by outcome with throttling, penalties, restarts and your users\' refused connections marked, ' +
          'the kex_exchange_identification lines explained, sources, your users, config findings and what the log cannot tell.',
      )
      .argument('[files...]', 'log files (rotated and .gz too); "-" reads stdin'),
  )
    .option('-o, --output <file>', 'where to write the page ("-" for stdout)')
    .option('--config <sshd_config>', 'also audit this sshd_config and show its findings (and the MaxStartups simulation)')
    .option('--login-grace-time <seconds>', "sshd's LoginGraceTime, to recognise silent timeouts", positiveInt('--login-grace-time'), 120)
    .option('--pcap <file>', 'also read this capture (tcpdump -w, pcap or pcapng): a section with what the wire saw, joined with the log (and the ranking uses it)')
    .option('--json', "print the page's data (the aggregated JSON the page draws) instead of the page")
    .option('--fleet <url>', 'the report over the whole fleet from its PostgreSQL (postgres:// URL, e.g. of the read-only role sshwarden-report) instead of log files')
    .option('--password-file <file>', 'with --fleet: file whose first line is the password (else PGPASSFILE or ~/.pgpass)')
    .option('--hours <n>', 'with --fleet: how far back (hours, 1 to 2160)', positiveInt('--hours'), 24)
    .addHelpText(
      'after',
      `
Examples:
  sshwarden report /var/log/auth.log* -o ssh-report.html     # files, rotated .gz too
  sshwarden report --journal --since "7 days ago" -o week.html
  sshwarden report auth.log --config /etc/ssh/sshd_config -o r.html   # adds the audit findings
  journalctl -u ssh -o json | sshwarden report - -o r.html
  sshwarden report --fleet postgres://sshwarden-report@db.example.org/sshwarden --password-file report.password -o fleet.html
  sshwarden report auth.log --json > page-data.json          # the data behind the page
  sshwarden report auth.log --pcap ssh.pcap -o r.html        # adds what the wire saw (tcpdump -w ssh.pcap 'tcp port 22')

The page holds aggregated data (time buckets, sources, findings), not every line: it stays small
for large logs, opens from disk in any current browser, and can be mailed or attached to a ticket.
Exit codes: 0 written, 2 usage error, 3 some input could not be read (the rest was reported).`,
    )
    .action(async (files, opts) => {
      if ((opts as ReportOpts).fleet !== undefined) {
        const { reportFleet } = await import('./report-fleet.ts');
        process.exitCode = await reportFleet(files, opts as ReportOpts);
        return;
      }
      const { report } = await import('./report-run.ts');
      process.exitCode = await report(files, opts as ReportOpts);
    });
}
