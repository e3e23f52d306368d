/**
 * The log-input options every command that reads sshd logs shares (`analyze`, `report`): the
 * option table (formats, time zone, year, the journal) and the checks that turn files and options
 * into the reader's inputs. Small and free of engine code: it is loaded with the CLI.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { UserError } from './user-error.ts';
import { LOG_FORMATS, isLogFormat } from '../framing/log-format.ts';
import { isValidTimeZone } from '../framing/civil-time.ts';
import type { InputSpec } from '../sources/read-inputs.ts';

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name}: must be a positive integer, got "${v}"`);
    return n;
  };
}

/** A year a log line can carry: 1970–9999 (a four-digit year, as the ISO times of the output print). */
export function logYear(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1970 || n > 9999) throw new UserError(`${name}: must be a year from 1970 to 9999, got "${v}"`);
    return n;
  };
}

export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** Adds --format, --timezone, --year, --journal, --since, --until, --unit. */
export function addLogInputOptions<A extends unknown[], O extends OptionValues>(cmd: Command<A, O>) {
  return cmd
    .addOption(new Option('--format <format>', 'input format (default: detected per file)').choices(LOG_FORMATS))
    .option('--timezone <zone>', 'IANA time zone for timestamps without one (default: this machine\'s)')
    .option('--year <year>', 'year of the first line for formats without a year (default: from the file time)', logYear('--year'))
    .option('--journal', 'read the systemd journal (runs journalctl -o json)')
    .option('--since <time>', 'with --journal: journalctl --since (e.g. "2 days ago")')
    .option('--until <time>', 'with --journal: journalctl --until')
    .option('--unit <unit>', 'with --journal: systemd unit(s) to read (repeatable; default: the sshd identifiers)', collect);
}

export interface LogInputOpts {
  format?: string;
  timezone?: string;
  journal?: boolean;
  since?: string;
  until?: string;
  unit?: string[];
}

/** Checks the options and returns the inputs to read: the files, the journal, or stdin when nothing is named and stdin is not a terminal. */
export function logInputs(files: readonly string[], opts: LogInputOpts): InputSpec[] {
  if (opts.format !== undefined && !isLogFormat(opts.format)) throw new UserError(`--format: unknown format "${opts.format}"`);
  if (opts.timezone !== undefined && !isValidTimeZone(opts.timezone)) throw new UserError(`--timezone: unknown time zone "${opts.timezone}" (use an IANA name such as UTC or Europe/Berlin)`);
  if (!opts.journal && (opts.since !== undefined || opts.until !== undefined || opts.unit !== undefined)) throw new UserError('--since/--until/--unit need --journal');
  const inputs: InputSpec[] = [...files];
  if (opts.journal) inputs.push({ journal: { since: opts.since, until: opts.until, units: opts.unit } });
  if (inputs.length === 0) {
    if (process.stdin.isTTY) throw new UserError('no input: give log files, "-" for stdin, or --journal (see --help)');
    inputs.push('-');
  }
  return inputs;
}
