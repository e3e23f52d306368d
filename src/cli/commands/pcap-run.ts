/**
 * `sshwarden pcap`: the run itself (loaded lazily by ./pcap.ts, which holds the options).
 * Capture bytes → PcapAnalyzer → streamed JSON or the text report; with --log the sshd logs go
 * through analyze's engine and the two are joined (src/pcap/join.ts).
 */
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, warn } from '../terminal.ts';
import { describeFsError, InputError, openFile, stdinSource, type ByteSource } from '../../sources/byte-sources.ts';
import { PcapAnalyzer } from '../../pcap/analyze.ts';
import { joinWireWithLog, type JoinResult } from '../../pcap/join.ts';
import { renderPcapText, type Paint } from '../../pcap/render.ts';
import type { WireConnection } from '../../pcap/types.ts';

export interface PcapOpts {
  port?: number[];
  log?: string[];
  json?: boolean;
  limit: number;
  loginGraceTime?: number;
  maxFlows: number;
}

export async function runPcap(file: string, opts: PcapOpts): Promise<number> {
  if (file === '-' && process.stdin.isTTY) throw new UserError('pcap: "-" reads a capture from stdin, but stdin is a terminal (pipe tcpdump -w - into it)');
  if (opts.log !== undefined && opts.log.includes('-') && file === '-') throw new UserError('--log: stdin is already the capture; give the log as a file');
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    throw err;
  });
  const ports = opts.port ?? [22];
  const json = opts.json === true;
  const joining = opts.log !== undefined && opts.log.length > 0;
  let failed = false;

  let src: ByteSource;
  try {
    src = file === '-' ? stdinSource(process.stdin) : await openFile(file);
  } catch (err) {
    warn(`${file}: ${err instanceof InputError ? err.message : describeFsError(err)}`);
    return EXIT.INPUT;
  }

  // Without --log, JSON connections are written as they close (memory bounded by open flows);
  // to a file or /dev/null with synchronous writes, to a pipe through process.stdout (analyze's writer).
  // The log engine and analyze's writer load only when used (start-up time is part of every run).
  const stream = json && !joining;
  const writer = stream ? (await import('./analyze-run.ts')).stdoutWriter() : null;
  let streamed = 0;
  const out: string[] = [];
  let pendingWrite: Promise<void> | null = null;
  const flush = () => {
    if (out.length === 0) return;
    const ok = writer!.write(Buffer.from(out.join('')));
    out.length = 0;
    if (!ok && pendingWrite === null) pendingWrite = new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
  };
  const listed: WireConnection[] = [];
  if (stream) out.push('{"connections":[');
  const analyzer = new PcapAnalyzer({
    ports,
    loginGraceTime: opts.loginGraceTime,
    maxFlows: opts.maxFlows,
    keepConnections: joining,
    wantRecord: () => stream || (!joining && listed.length < opts.limit),
    onConnection: (c) => {
      if (stream) {
        out.push(`${streamed++ === 0 ? '\n' : ',\n'}${JSON.stringify(c)}`);
        if (out.length >= 512) flush();
      } else if (!joining && listed.length < opts.limit) listed.push(c);
    },
  });
  try {
    for await (const chunk of src.chunks(() => {})) {
      analyzer.push(chunk);
      if (analyzer.error !== null) break;
      if (pendingWrite !== null) {
        await pendingWrite; // a slow reader of our stdout: wait instead of buffering the document
        pendingWrite = null;
      }
    }
  } catch (err) {
    failed = true;
    warn(`${file}: ${err instanceof InputError ? err.message : describeFsError(err)}`);
  } finally {
    await src.close();
  }
  const result = analyzer.finish();
  if (result.summary.format === null) {
    if (stream) {
      out.push('\n],"sources":[],"summary":' + JSON.stringify(result.summary) + '}\n');
      flush();
    }
    warn(`${file}: ${result.summary.error ?? 'not a capture file'}`);
    return EXIT.INPUT;
  }
  if (result.summary.error !== null) {
    failed = true;
    warn(`${file}: ${result.summary.error}; the packets before it were analysed`);
  }

  let join: JoinResult | null = null;
  if (joining) {
    const { Analyzer } = await import('../../engine/analyzer.ts');
    const { readInputs } = await import('../../sources/read-inputs.ts');
    const engine = new Analyzer({ keepConnections: true, loginGraceTime: opts.loginGraceTime ?? 120 });
    const reader = readInputs(opts.log as string[], {
      onError: (f, line, message) => {
        failed = true;
        warn(`${f}${line === null ? '' : `:${line}`}: ${message}`);
      },
    });
    for await (const batch of reader.batches()) for (let i = 0; i < batch.length; i++) engine.push(batch[i]);
    const { finalUpdates: _, ...logResult } = engine.finish();
    join = joinWireWithLog(result.connections ?? [], logResult, ports);
  }

  if (json) {
    if (stream) {
      out.push(`\n],"sources":${JSON.stringify(result.sources)},"summary":${JSON.stringify(result.summary)}}\n`);
      flush();
    } else {
      process.stdout.write(`${JSON.stringify({ connections: result.connections, sources: result.sources, summary: result.summary, join })}\n`);
    }
  } else {
    const all = joining ? (result.connections ?? []) : listed;
    const paint: Paint = { bold: colors.bold, dim: colors.dim, red: colors.red, yellow: colors.yellow, green: colors.green, cyan: colors.cyan };
    const shown = [...all.slice(0, opts.limit)].sort((a, b) => (a.start < b.start ? -1 : 1));
    process.stdout.write(renderPcapText({ file, result, listed: shown, total: result.summary.connections, join, limit: opts.limit }, paint));
  }
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', () => resolve()) : resolve()));
  return failed ? EXIT.INPUT : EXIT.OK;
}
