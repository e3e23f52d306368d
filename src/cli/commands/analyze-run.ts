/**
 * `sshwarden analyze`: the run itself (loaded lazily by ./analyze.ts, which holds the options).
 * analyzeLogs (src/analyze/) → streamed JSON (report/json-stream.ts) or the text report.
 */
import { isIP } from 'node:net';
import { existsSync, fstatSync, writeSync } from 'node:fs';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, stderrIsTty, warn } from '../terminal.ts';
import { logInputs } from '../log-inputs.ts';
import { analyzeLogs } from '../../analyze/analyze-logs.ts';
import { readerThreadWanted } from '../reader-thread-choice.ts';
import { MAX_OPEN } from '../../connections/tracker.ts';
import { serverSettingsFor } from '../../analyze/server-settings.ts';
import type { ServerSettings } from '../../engine/types.ts';
import type { LogFormat } from '../../framing/index.ts';
import { normaliseAddress } from '../../events/ip.ts';
import { JsonStream, type ChunkWriter } from '../../report/json-stream.ts';
import type { Paint } from '../../report/text.ts';

export interface AnalyzeOpts {
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
  loginGraceTime?: number;
  config?: string;
}

export async function analyze(files: string[], opts: AnalyzeOpts): Promise<number> {
  let source: string | null = null;
  if (opts.source !== undefined) {
    source = isIP(opts.source.replace(/%.*$/, '')) ? normaliseAddress(opts.source) : null;
    if (source === null) throw new UserError(`--source: "${opts.source}" is not an IP address`);
  }
  const inputs = logInputs(files, opts);
  const maxOpen = maxOpenFromEnv();

  // A reader that stops early (`| head`) closes the pipe: stop quietly, as other Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    throw err;
  });

  // The server's settings: --config, or this machine's sshd_config when the logs are this machine's.
  const server = await serverSettingsFor(inputs, opts.config, opts.loginGraceTime);
  if (server !== null && 'unreadable' in server) throw new UserError(`--config: ${server.unreadable}`, EXIT.INPUT);

  const started = Date.now();
  let lastProgress = 0;
  const showProgress = stderrIsTty();
  let progressShown = false;
  const json = opts.json === true;
  const stream = json ? new JsonStream(stdoutWriter()) : null;
  const wantList = opts.connections === true || source !== null;
  const run = await analyzeLogs({
    inputs,
    readerThread: readerThreadWanted(inputs),
    format: opts.format as LogFormat | undefined,
    timezone: opts.timezone,
    year: opts.year,
    loginGraceTime: opts.loginGraceTime,
    server,
    maxOpenConnections: maxOpen,
    sourceFilter: source !== null ? (a) => a === source : undefined,
    keepConnections: stream === null && wantList ? Math.max(opts.limit, 1) : 0,
    onConnection: stream !== null ? (c) => stream.connection(c) : undefined,
    afterBatch:
      stream !== null
        ? async () => {
            if (!stream.backpressure) return;
            await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
            stream.drained();
          }
        : undefined,
    onError: (file, line, message) => warn(`${file}${line === null ? '' : `:${line}`}: ${message}`),
    onNotice: (file, message) => warn(`${file}: ${message}`),
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
  if (progressShown) process.stderr.write('\r\x1b[K');
  const { result, readCounts: rc, inputs: inputsInfo, connections: listed } = run;
  const evicted = run.evictedConnections;
  if (evicted > 0)
    warn(`${evicted} connection${evicted === 1 ? ' was' : 's were'} let go while still open: more than ${maxOpen.toLocaleString('en-US')} were open at once (the memory bound); their end was not followed: each keeps what its lines showed until then (a logged failed login stays auth_failed), the others are "unknown" (detail "evicted"), all with the reason "let go while still open"`);
  const listedTotal = run.connectionsMatched;
  // Nothing could be read at all (missing file, binary file, …): the error said it; a text report
  // of nothing would only bury it. --json still prints its document (inputs.failedInputs says it),
  // so `analyze … --json | jq` gets JSON; the exit code is 3 either way.
  if (stream === null && rc.inputs > 0 && rc.failedInputs === rc.inputs && rc.lines === 0) return EXIT.INPUT;

  if (stream !== null) {
    stream.end({
      ...result,
      inputs: {
        files: inputsInfo,
        empty: rc.empty,
        lines: rc.lines,
        sshdLines: rc.framed,
        otherPrograms: rc.skipped,
        otherProgramsSshdLike: rc.sshdLike,
        malformed: rc.malformed,
        failedInputs: rc.failedInputs,
        untrustedJournalRecords: rc.untrusted,
        journalRecordsWithoutUid: rc.journalWithoutUid,
      },
      openConnections: { max: maxOpen, evicted },
    });
    await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  } else {
    const paint: Paint = { bold: colors.bold, dim: colors.dim, red: colors.red, yellow: colors.yellow, green: colors.green, cyan: colors.cyan };
    // Loaded only for the text report (it brings the advice modules; --json never needs them).
    const { renderText } = await import('../../report/text.ts');
    const text = renderText(
      {
        result,
        connections: listed,
        listConnections: wantList,
        source,
        limit: opts.limit,
        inputs: [...inputsInfo, ...rc.empty.map((file) => ({ file, format: 'empty' }))],
        readCounts: rc,
        timeRange: run.timeRange,
        openConnections: { max: maxOpen, evicted },
      },
      paint,
    );
    process.stdout.write(text);
    if (wantList && listedTotal > listed.length && source === null) process.stdout.write(colors.dim(`(${listedTotal - listed.length} more connections not listed)\n`));
  }
  return run.inputFailed ? EXIT.INPUT : EXIT.OK;
}

/**
 * The bound on connections open at once: connections/tracker.ts MAX_OPEN, or a lower one from
 * SSHWARDEN_ANALYZE_MAX_OPEN (undocumented for users: the fault test uses it to reach the bound
 * with a small input, test/faults/analyze-bound.test.ts).
 */
function maxOpenFromEnv(): number {
  const v = process.env.SSHWARDEN_ANALYZE_MAX_OPEN;
  if (v === undefined || v === '') return MAX_OPEN;
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1 || Number(v) > MAX_OPEN) throw new UserError(`SSHWARDEN_ANALYZE_MAX_OPEN: "${v}" is not a whole number from 1 to ${MAX_OPEN}`);
  return Number(v);
}

/**
 * Where the JSON goes. A file or /dev/null is written with synchronous fd writes (the stream then
 * reuses one buffer); a pipe or terminal goes through process.stdout, whose backpressure the read
 * loop honours (awaits 'drain'), so a slow reader never makes us buffer the whole document.
 */
export function stdoutWriter(): ChunkWriter {
  let direct = false;
  try {
    const st = fstatSync(1);
    direct = st.isFile() || (st.isCharacterDevice() && !process.stdout.isTTY);
  } catch {
    direct = false;
  }
  if (!direct) return { write: (chunk) => process.stdout.write(chunk) };
  return {
    consumesSynchronously: true,
    write(chunk) {
      for (let off = 0; off < chunk.length; ) off += writeSync(1, chunk, off, chunk.length - off);
      return true;
    },
  };
}
