/**
 * analyzeLogs: the whole log analysis in one call (inputs → framing → engine → result), used by
 * `analyze`, `doctor` and `report`. I/O stays at this edge (the reader); the engine is pure.
 *
 *   const run = await analyzeLogs({ inputs: ['/var/log/auth.log'], onError: warn });
 *   run.result.summary, run.result.sources, run.connections (with keepConnections)
 *
 * Options restrict what the caller sees: `window` drops lines outside [since, until) before the
 * engine sees them (lines without a time are kept), `sourceFilter` keeps only the connections and
 * sources whose address it accepts. Closed connections stream to `onConnection` (and are kept in
 * `connections` up to `keepConnections`); `afterBatch` lets a streaming writer apply backpressure.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import type { LogFormat } from '../framing/index.ts';
import { Analyzer } from '../engine/analyzer.ts';
import type { AnalysisResult, ConnectionRecord, EngineUpdate, ServerSettings } from '../engine/types.ts';
import { readInputs, type InputSpec, type ReadCounts } from '../sources/read-inputs.ts';
import type { JournalTrust } from '../framing/journal-json-framer.ts';
import { sshdUids } from '../guard/sshd-users.ts';
import { ReaderThread } from './reader-thread.ts';
import { newScratchLine, readEventBatch } from '../events/event-batch.ts';
import { newScratchEvent, type SshdEvent } from '../events/index.ts';

export interface AnalyzeLogsOptions {
  inputs: readonly InputSpec[];
  format?: LogFormat;
  timezone?: string;
  year?: number;
  /** sshd's LoginGraceTime in seconds (default: the server's, else 120). */
  loginGraceTime?: number;
  /** The sshd settings the log was written under (analyze/server-settings.ts), for the advice and the inferences. */
  server?: ServerSettings | null;
  /** Only lines with a time in [since, until) (ms); lines without a time are kept. */
  window?: { since: number | null; until: number | null };
  /** Only connections and sources whose address this accepts (unattributed connections are left out too). */
  sourceFilter?: (address: string) => boolean;
  /** The bound on connections open at once (default: connections/tracker.ts MAX_OPEN). */
  maxOpenConnections?: number;
  /**
   * Journal JSON (an export or --journal): who may speak as sshd. Default: the guard's rule with
   * this machine's sshd users (root and the privilege-separation user); null believes
   * SYSLOG_IDENTIFIER (any local user can forge it with `logger -t sshd`).
   */
  journalTrust?: JournalTrust | null;
  /** Keep up to this many closed connections in `connections` (default 0). */
  keepConnections?: number;
  /** Put the line text into evidence (default false). */
  evidenceText?: boolean;
  onConnection?: (c: ConnectionRecord) => void;
  /** A successful authentication (address, port, time in ms or null), for callers that time pre-auth holds. */
  onAuthSuccess?: (address: string, port: number, ts: number | null) => void;
  /** Called after each batch (e.g. to wait for a slow stdout). */
  afterBatch?: () => Promise<void> | void;
  onError?: (file: string, line: number | null, message: string) => void;
  /** Something to tell the user about an input that is not an error (e.g. a FIFO waiting for a writer). */
  onNotice?: (file: string, message: string) => void;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Read, frame and match on a second thread (reader-thread.ts), for large inputs: the result is
   * the same. For files and stdin (the journal is read here).
   */
  readerThread?: boolean;
}

export interface AnalyzeLogsRun {
  result: Omit<AnalysisResult, 'connections'>;
  /** Kept connections (see `keepConnections`), and how many matched in all. */
  connections: ConnectionRecord[];
  connectionsMatched: number;
  readCounts: ReadCounts;
  inputs: { file: string; format: string }[];
  /** First and last line time (ms) of the lines analysed. */
  timeRange: { first: number | null; last: number | null };
  /** Some input could not be read (each was reported through onError). */
  inputFailed: boolean;
  /** Connections let go while still open: more than the tracker's bound were open at once (outcome unknown, detail evicted). */
  evictedConnections: number;
}

export async function analyzeLogs(o: AnalyzeLogsOptions): Promise<AnalyzeLogsRun> {
  let inputFailed = false;
  const readerOptions = {
    format: o.format,
    timezone: o.timezone,
    year: o.year,
    onError: (file: string, line: number | null, message: string) => {
      inputFailed = true;
      o.onError?.(file, line, message);
    },
    onNotice: o.onNotice,
    onProgress: o.onProgress,
    journalTrust: o.journalTrust === undefined ? { uids: sshdUids() } : (o.journalTrust ?? undefined),
  };
  const paths = o.inputs.filter((i): i is string => typeof i === 'string');
  const threaded = o.readerThread === true && paths.length === o.inputs.length;
  const reader = threaded ? new ReaderThread(paths, { ...readerOptions, withMessages: o.evidenceText === true }) : readInputs(o.inputs, readerOptions);
  const analyzer = new Analyzer({ keepConnections: false, loginGraceTime: o.loginGraceTime, server: o.server, evidenceText: o.evidenceText, maxOpenConnections: o.maxOpenConnections });
  const keep = o.keepConnections ?? 0;
  const filter = o.sourceFilter;
  const connections: ConnectionRecord[] = [];
  let matched = 0;
  const take = (updates: EngineUpdate[]) => {
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i];
      if (u.kind === 'auth-success' && o.onAuthSuccess) {
        if (filter === undefined || filter(u.address)) o.onAuthSuccess(u.address, u.port, u.ts);
        continue;
      }
      if (u.kind !== 'connection-closed') continue;
      const c = u.connection;
      if (filter !== undefined && (c.src === null || !filter(c.src))) continue;
      matched++;
      o.onConnection?.(c);
      if (connections.length < keep) connections.push(c);
    }
  };
  const since = o.window?.since ?? null;
  const until = o.window?.until ?? null;
  const windowed = since !== null || until !== null;
  let first: number | null = null;
  let last: number | null = null;
  /** False for a line outside the window; otherwise it counts towards the time range. */
  const admit = (ts: number | null): boolean => {
    if (ts === null) return true;
    if (windowed && ((since !== null && ts < since) || (until !== null && ts >= until))) return false;
    if (first === null || ts < first) first = ts;
    if (last === null || ts > last) last = ts;
    return true;
  };
  const push = (line: FramedLine) => {
    if (!admit(line.ts)) return;
    const updates = analyzer.push(line);
    if (updates.length) take(updates);
  };
  if (reader instanceof ReaderThread) {
    // push(), with the event the reading thread matched (null: a line the engine skips).
    const scratchLine = newScratchLine();
    const scratchEvent = newScratchEvent();
    const pushMatched = (line: FramedLine, ev: SshdEvent | null) => {
      if (!admit(line.ts) || ev === null) return;
      const updates = analyzer.pushMatched(line, ev);
      if (updates.length) take(updates);
    };
    for await (const batch of reader.batches()) {
      readEventBatch(batch, scratchLine, scratchEvent, pushMatched);
      reader.consumed();
      if (o.afterBatch) await o.afterBatch();
    }
  } else {
    for await (const batch of reader.batches()) {
      for (let i = 0; i < batch.length; i++) push(batch[i]);
      if (o.afterBatch) await o.afterBatch();
    }
  }
  const evictedConnections = analyzer.evictedConnections;
  const { finalUpdates, connections: _none, ...result } = analyzer.finish();
  void _none;
  take(finalUpdates);
  if (filter !== undefined) result.sources = result.sources.filter((s) => filter(s.address));
  const rc = reader.counts;
  return {
    result,
    connections,
    connectionsMatched: matched,
    readCounts: rc,
    inputs: rc.formats.map((f) => ({ file: f.file, format: f.format })),
    timeRange: { first, last },
    inputFailed: inputFailed || rc.failedInputs > 0,
    evictedConnections,
  };
}
