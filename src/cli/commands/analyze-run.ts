/**
 * `sshwarden analyze`: the run itself (loaded lazily by ./analyze.ts, which holds the options).
 * Inputs → framing → Analyzer → streamed JSON (report/json-stream.ts) or the text report.
 */
import { isIP } from 'node:net';
import { fstatSync, writeSync } from 'node:fs';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, stderrIsTty, warn } from '../terminal.ts';
import { readInputs, type InputSpec } from '../../sources/read-inputs.ts';
import { isLogFormat, isValidTimeZone, type LogFormat } from '../../framing/index.ts';
import { Analyzer } from '../../engine/analyzer.ts';
import { MAX_OPEN } from '../../connections/tracker.ts';
import type { ConnectionRecord, EngineUpdate } from '../../engine/types.ts';
import { normaliseAddress } from '../../events/ip.ts';
import { JsonStream, type ChunkWriter } from '../../report/json-stream.ts';
import { renderText, type Paint } from '../../report/text.ts';
import type { AnalyzeOpts } from './analyze.ts';

export async function analyze(files: string[], opts: AnalyzeOpts): Promise<number> {
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

  const json = opts.json === true;
  const analyzer = new Analyzer({ keepConnections: false, loginGraceTime: opts.loginGraceTime });
  const stream = json ? new JsonStream(stdoutWriter()) : null;
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
      if (stream.backpressure) {
        await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
        stream.drained();
      }
    }
  }
  if (progressShown) process.stderr.write('\r\x1b[K');
  const evicted = analyzer.evictedConnections;
  const { finalUpdates, ...result } = analyzer.finish();
  if (evicted > 0)
    warn(`${evicted} connection${evicted === 1 ? ' was' : 's were'} let go while still open: more than ${MAX_OPEN.toLocaleString('en-US')} were open at once (the memory bound); their outcome is "unknown" (detail "evicted")`);
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

/**
 * Where the JSON goes. A file or /dev/null is written with synchronous fd writes (the stream then
 * reuses one buffer); a pipe or terminal goes through process.stdout, whose backpressure the read
 * loop honours (awaits 'drain'), so a slow reader never makes us buffer the whole document.
 */
function stdoutWriter(): ChunkWriter {
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
