import type { Command } from '@commander-js/extra-typings';
import { Option } from '@commander-js/extra-typings';
import { isIP } from 'node:net';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, stderrIsTty, warn } from '../terminal.ts';
import { readInputs, type InputSpec } from '../../sources/read-inputs.ts';
import { LOG_FORMATS, isLogFormat, isValidTimeZone, type LogFormat } from '../../framing/index.ts';
import { Analyzer } from '../../engine/analyzer.ts';
import type { ConnectionRecord, EngineUpdate } from '../../engine/types.ts';
import { normaliseAddress } from '../../events/ip.ts';
import { JsonStream } from '../../report/json-stream.ts';
import { renderText, type Paint } from '../../report/text.ts';

interface AnalyzeOpts {
  format?: string;
  timezone?: string;
  year?: number;
  json?: boolean;
  source?: string;
  connections?: boolean;
  limit: number;
  journal?: boolean;
  since?: string;
  until?: string;
  unit?: string[];
  loginGraceTime: number;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name}: must be a positive integer, got "${v}"`);
    return n;
  };
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'Read sshd logs, follow every connection from accept to close, and explain what happened to each connection\n' +
        'and each source address, and why (kex_exchange_identification, MaxStartups drops, scanners, brute force).',
    )
    .argument('[files...]', 'log files (rotated and .gz too); "-" reads stdin')
    .addOption(new Option('--format <format>', 'input format (default: detected per file)').choices(LOG_FORMATS))
    .option('--timezone <zone>', 'IANA time zone for timestamps without one (default: this machine\'s)')
    .option('--year <year>', 'year of the first line for formats without a year (default: from the file time)', positiveInt('--year'))
    .option('--journal', 'read the systemd journal (runs journalctl -o json)')
    .option('--since <time>', 'with --journal: journalctl --since (e.g. "2 days ago")')
    .option('--until <time>', 'with --journal: journalctl --until')
    .option('--unit <unit>', 'with --journal: systemd unit(s) to read (repeatable; default: the sshd identifiers)', collect)
    .option('--json', 'one JSON document on stdout (streamed; see README "JSON output")')
    .option('--source <address>', "one source's story, connection by connection")
    .option('--connections', 'list every connection in the text report')
    .option('--limit <n>', 'rows per list in the text report', positiveInt('--limit'), 20)
    .option('--login-grace-time <seconds>', "sshd's LoginGraceTime, to recognise silent timeouts", positiveInt('--login-grace-time'), 120)
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

Exit codes: 0 analysed, 2 usage error, 3 some input could not be read (the rest was analysed).`,
    )
    .action(async (files, opts) => {
      process.exitCode = await analyze(files, opts as AnalyzeOpts);
    });
}

async function analyze(files: string[], opts: AnalyzeOpts): Promise<number> {
  if (opts.format !== undefined && !isLogFormat(opts.format)) throw new UserError(`--format: unknown format "${opts.format}"`);
  if (opts.timezone !== undefined && !isValidTimeZone(opts.timezone)) throw new UserError(`--timezone: unknown time zone "${opts.timezone}" (use an IANA name such as UTC or Europe/Berlin)`);
  if (!opts.journal && (opts.since !== undefined || opts.until !== undefined || opts.unit !== undefined)) throw new UserError('--since/--until/--unit need --journal');
  let source: string | null = null;
  if (opts.source !== undefined) {
    source = isIP(opts.source.replace(/%.*$/, '')) ? normaliseAddress(opts.source) : null;
    if (source === null) throw new UserError(`--source: "${opts.source}" is not an IP address`);
  }
  const inputs: InputSpec[] = [...files];
  if (opts.journal) inputs.push({ journal: { since: opts.since, until: opts.until, units: opts.unit } });
  if (inputs.length === 0) {
    if (process.stdin.isTTY) throw new UserError('no input: give log files, "-" for stdin, or --journal (see --help)');
    inputs.push('-');
  }

  // A reader that stops early (`| head`) closes the pipe: stop quietly, as other Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    throw err;
  });

  let inputFailed = false;
  const started = Date.now();
  let lastProgress = 0;
  const showProgress = stderrIsTty();
  let progressShown = false;
  const reader = readInputs(inputs, {
    format: opts.format as LogFormat | undefined,
    timezone: opts.timezone,
    year: opts.year,
    onError: (file, line, message) => {
      inputFailed = true;
      warn(`${file}${line === null ? '' : `:${line}`}: ${message}`);
    },
    onProgress: showProgress
      ? (done, total) => {
          const now = Date.now();
          if (now - started < 2000 || now - lastProgress < 200) return;
          lastProgress = now;
          progressShown = true;
          const mb = (done / 1048576).toFixed(0);
          process.stderr.write(`\r\x1b[Ksshwarden: ${total > 0 ? `${Math.floor((100 * done) / total)}% ` : ''}${mb} MiB read`);
        }
      : undefined,
  });

  const json = opts.json === true;
  const analyzer = new Analyzer({ keepConnections: false, loginGraceTime: opts.loginGraceTime });
  const stream = json ? new JsonStream(process.stdout) : null;
  const listed: ConnectionRecord[] = [];
  const wantList = opts.connections === true || source !== null;
  const listCap = Math.max(opts.limit, 1);
  let listedTotal = 0;
  let first: number | null = null;
  let last: number | null = null;
  const take = (updates: EngineUpdate[]) => {
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i];
      if (u.kind !== 'connection-closed') continue;
      const c = u.connection;
      if (source !== null && c.src !== source) continue;
      if (stream !== null) stream.connection(c);
      else if (wantList) {
        listedTotal++;
        if (listed.length < listCap) listed.push(c);
      }
    }
  };

  for await (const batch of reader.batches()) {
    for (let i = 0; i < batch.length; i++) {
      const line = batch[i];
      if (line.ts !== null) {
        if (first === null || line.ts < first) first = line.ts;
        if (last === null || line.ts > last) last = line.ts;
      }
      const updates = analyzer.push(line);
      if (updates.length) take(updates);
    }
    if (stream !== null) {
      stream.flush();
      if (stream.backpressure) {
        await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
        stream.drained();
      }
    }
  }
  if (progressShown) process.stderr.write('\r\x1b[K');
  const { finalUpdates, ...result } = analyzer.finish();
  take(finalUpdates);

  const rc = reader.counts;
  const inputsInfo = rc.formats.map((f) => ({ file: f.file, format: f.format }));
  if (source !== null) result.sources = result.sources.filter((s) => s.address === source);

  if (stream !== null) {
    stream.end({
      ...result,
      inputs: { files: inputsInfo, lines: rc.lines, sshdLines: rc.framed, otherPrograms: rc.skipped, malformed: rc.malformed, failedInputs: rc.failedInputs },
    });
    await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  } else {
    const paint: Paint = { bold: colors.bold, dim: colors.dim, red: colors.red, yellow: colors.yellow, green: colors.green, cyan: colors.cyan };
    const text = renderText(
      {
        result,
        connections: listed,
        listConnections: wantList,
        source,
        limit: opts.limit,
        inputs: inputsInfo,
        readCounts: rc,
        timeRange: { first, last },
      },
      paint,
    );
    process.stdout.write(text);
    if (listedTotal > listed.length && source === null) process.stdout.write(colors.dim(`(${listedTotal - listed.length} more connections not listed)\n`));
  }
  return inputFailed || rc.failedInputs > 0 ? EXIT.INPUT : EXIT.OK;
}
