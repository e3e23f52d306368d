/**
 * Streams the `analyze --json` document: `{"connections":[` first, each closed connection as it
 * closes, then the rest of the result at the end. Memory stays bounded by what is open, not by
 * the size of the log. The writer is injected (stdout in the CLI, a buffer in tests).
 */
import type { AnalysisResult, ConnectionRecord } from '../engine/types.ts';

export interface ChunkWriter {
  /** Writes a chunk; returns false when the consumer wants the producer to wait (backpressure). */
  write(chunk: string): boolean;
}

const FLUSH_AT = 1 << 16;

export class JsonStream {
  private readonly out: ChunkWriter;
  private buf = '';
  private count = 0;
  private needDrain = false;
  /** Pending pieces, joined once per flush (cheaper than growing one concatenated string). */
  private parts: string[] = [];
  private partsLength = 0;
  constructor(out: ChunkWriter) {
    this.out = out;
    this.buf = '{"connections":[';
  }

  connection(rec: ConnectionRecord): void {
    const json = connectionJson(rec);
    this.parts.push(this.count++ === 0 ? '\n' : ',\n', json);
    this.partsLength += json.length + 2;
    if (this.partsLength >= FLUSH_AT) this.flush();
  }

  /** True when the writer asked to wait; the caller awaits its drain and calls `drained()`. */
  get backpressure(): boolean {
    return this.needDrain;
  }

  drained(): void {
    this.needDrain = false;
  }

  flush(): void {
    if (this.parts.length > 0) {
      this.buf += this.parts.join('');
      this.parts = [];
      this.partsLength = 0;
    }
    if (this.buf.length === 0) return;
    if (!this.out.write(this.buf)) this.needDrain = true;
    this.buf = '';
  }

  /** Writes everything after the connections and closes the document. */
  end(rest: Omit<AnalysisResult, 'connections'> & Record<string, unknown>): void {
    this.flush();
    let tail = this.count ? '\n]' : ']';
    for (const [k, v] of Object.entries(rest)) tail += `,\n${JSON.stringify(k)}:${JSON.stringify(v)}`;
    this.buf = `${tail}\n}\n`;
    this.flush();
  }
}

const q = JSON.stringify;
let lastFile = '';
let lastFileJson = '""';

let lastHost: string | null = null;
let lastHostJson = 'null';

function hostJson(h: string | null): string {
  if (h !== lastHost) {
    lastHost = h;
    lastHostJson = h === null ? 'null' : q(h);
  }
  return lastHostJson;
}

/** For text that never needs escaping: validated IP literals and ISO times. */
function plain(s: string | null): string {
  return s === null ? 'null' : `"${s}"`;
}

function strArray(a: readonly string[]): string {
  if (a.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < a.length; i++) out += (i ? ',' : '') + q(a[i]);
  return `${out}]`;
}

/**
 * One connection record as JSON, byte-for-byte what JSON.stringify(rec) gives (same key order,
 * optional keys only when present; test/analyze-cli checks the equality), but 2–3× faster: the
 * shape is known, vocabulary words and numbers need no escaping, and evidence file names are
 * escaped once per file instead of once per line. Client text still goes through JSON.stringify.
 */
export function connectionJson(r: ConnectionRecord): string {
  let ev = '[';
  const e = r.evidence;
  for (let i = 0; i < e.length; i++) {
    const x = e[i];
    if (x.file !== lastFile) {
      lastFile = x.file;
      lastFileJson = q(x.file);
    }
    ev += `${i ? ',' : ''}{"file":${lastFileJson},"line":${x.line}${x.text !== undefined ? `,"text":${q(x.text)}` : ''}}`;
  }
  ev += ']';
  let pids = '[';
  for (let i = 0; i < r.pids.length; i++) pids += (i ? ',' : '') + r.pids[i];
  pids += ']';
  let out =
    `{"host":${hostJson(r.host)},"pid":${r.pid},"pids":${pids},"src":${plain(r.src)},"srcPort":${r.srcPort},"local":${plain(r.local)},"localPort":${r.localPort}` +
    `,"start":${plain(r.start)},"end":${plain(r.end)},"phase":"${r.phase}","outcome":"${r.outcome}","detail":${q(r.detail)}` +
    `,"users":${strArray(r.users)},"methods":${strArray(r.methods)},"failures":${r.failures},"evidence":${ev}`;
  if (r.reason !== undefined) out += `,"reason":${q(r.reason)}`;
  if (r.inferred !== undefined) out += `,"inferred":${r.inferred}`;
  if (r.clientVersion !== undefined) out += `,"clientVersion":${q(r.clientVersion)}`;
  if (r.disconnect !== undefined) out += `,"disconnect":{"code":${r.disconnect.code},"message":${q(r.disconnect.message)}}`;
  if (r.evidenceOmitted !== undefined) out += `,"evidenceOmitted":${r.evidenceOmitted}`;
  return `${out}}`;
}
