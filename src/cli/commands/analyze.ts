import type { Command } from '@commander-js/extra-typings';
// Only the option table is loaded with the CLI; the engine, framers and reports are imported when
// `analyze` runs (./analyze-run.ts), so other commands and `--version` do not pay for them.
import { addLogInputOptions, positiveInt } from '../log-inputs.ts';
import type { AnalyzeOpts } from './analyze-run.ts';

export function registerAnalyze(program: Command): void {
  addLogInputOptions(
    program
      .command('analyze')
      .description(
        'Read sshd logs, follow every connection from accept to close, and explain what happened to each connection ' +
          'and each source address, and why (kex_exchange_identification, MaxStartups drops, scanners, brute force).',
      )
      .argument('[files...]', 'log files (rotated and .gz too); "-" reads stdin'),
  )
    .option('--json', 'one JSON document on stdout (streamed; see README "JSON output")')
    .option('--source <address>', "one source's story, connection by connection")
    .option('--connections', 'list every connection in the text report')
    .option('--limit <n>', 'rows per list in the text report', positiveInt('--limit'), 20)
    .option('--config <file>', "the sshd_config the log was written under (LoginGraceTime, MaxStartups, MaxAuthTries for the inferences and advice; default: /etc/ssh/sshd_config when reading this machine's logs)")
    .option('--login-grace-time <seconds>', "sshd's LoginGraceTime, to recognise silent timeouts (overrides the configuration's; default 120 without one)", positiveInt('--login-grace-time'))
    .addHelpText(
      'after',
      `
Examples:
  sshwarden analyze /var/log/auth.log*                 # files, rotated .gz too (oldest first)
  journalctl -u ssh -o json | sshwarden analyze -      # stdin (any supported format)
  sshwarden analyze --journal --since "2 days ago"     # runs journalctl itself
  sshwarden analyze auth.log --json > result.json      # stable JSON for scripts
  sshwarden analyze auth.log --source 192.0.2.11       # one source's story
  sshwarden analyze auth.log --connections --limit 100
  sshwarden analyze copy/auth.log --config copy/sshd_config   # logs and config from another machine

Exit codes: 0 analysed, 2 usage error, 3 some input could not be read (the rest was analysed).`,
    )
    .action(async (files, opts) => {
      const { analyze } = await import('./analyze-run.ts');
      process.exitCode = await analyze(files, opts as AnalyzeOpts);
    });
}
