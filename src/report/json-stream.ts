/**
 * Streams the `analyze --json` document: `{"connections":[` first, each closed connection as it
 * closes, then the rest of the result at the end. Memory stays bounded by what is open, not by
 * the size of the log. The writer is injected (stdout in the CLI, a buffer in tests).
 */
import type { AnalysisResult, ConnectionRecord, SourceRecord } from '../engine/types.ts';

export interface ChunkWriter {
  /** Takes a chunk of UTF-8 JSON; returns false when the consumer wants the producer to wait (backpressure). */
  write(chunk: Buffer): boolean;
  /**
   * true when `write` is done with the chunk once it returns (a synchronous fd write): the stream
   * then reuses one buffer for the whole run. Otherwise each chunk handed over is the writer's to keep.
   */
  readonly consumesSynchronously?: boolean;
}

/** Output chunk size: large writes (a few hundred per 1M-line log), small enough to stay off the heap's mind. */
const CHUNK_BYTES = 1 << 20;

/**
 * The JSON is encoded straight into one reusable Buffer (one `write` of UTF-8 per connection), and
 * the buffer is handed over whole when full: no per-connection chunks, no joined strings, no
 * string→Buffer conversion in the writer. (Measured on the 1M-line bench log: the previous
 * parts-array + join + stream.write path cost ~0.5 s of 4 s.)
 */
export class JsonStream {
  private readonly out: ChunkWriter;
  private readonly reuse: boolean;
  private readonly enc: ByteEncoder;
  private count = 0;
  private needDrain = false;
  constructor(out: ChunkWriter) {
    this.out = out;
    this.reuse = out.consumesSynchronously === true;
    this.enc = new ByteEncoder(CHUNK_BYTES);
    this.text('{"connections":[');
  }

  connection(rec: ConnectionRecord): void {
    const enc = this.enc;
    const bound = enc.connectionBound(rec) + 2;
    if (enc.pos + bound > enc.buf.length) {
      this.flush();
      if (bound > enc.buf.length) {
        // A record larger than the whole buffer (pathological client text): as one string.
        this.text(`${this.count++ === 0 ? '\n' : ',\n'}${connectionJson(rec)}`);
        return;
      }
    }
    if (this.count++ !== 0) enc.byte(44); // ,
    enc.byte(10); // \n
    enc.connection(rec);
  }

  /** True when the writer asked to wait; the caller awaits its drain and calls `drained()`. */
  get backpressure(): boolean {
    return this.needDrain;
  }

  drained(): void {
    this.needDrain = false;
  }

  /** Hands what is buffered to the writer (the stream also does this by itself whenever its buffer fills). */
  flush(): void {
    const enc = this.enc;
    if (enc.pos === 0) return;
    const chunk = enc.buf.subarray(0, enc.pos);
    if (!this.reuse) enc.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    enc.pos = 0;
    if (!this.out.write(chunk)) this.needDrain = true;
  }

  /** Writes everything after the connections and closes the document (same bytes as JSON.stringify per key). */
  end(rest: Omit<AnalysisResult, 'connections'> & Record<string, unknown>): void {
    this.text(this.count ? '\n]' : ']');
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      this.text(`,\n${q(k)}:`);
      if (k === 'sources' && Array.isArray(v) && v.length > 0) this.sources(v as SourceRecord[]);
      else if (Array.isArray(v) && v.length > 0) {
        // Element by element (the source table can be megabytes): JSON.stringify's array rule.
        for (let i = 0; i < v.length; i++) this.text((i ? ',' : '[') + (q(v[i]) ?? 'null'));
        this.text(']');
      } else this.text(q(v));
    }
    this.text('\n}\n');
    this.flush();
  }

  /** The source table (tens of thousands of records on a busy server): encoded like the connections. */
  private sources(list: readonly SourceRecord[]): void {
    const enc = this.enc;
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      const bound = enc.sourceBound(r) + 2;
      if (enc.pos + bound > enc.buf.length) {
        this.flush();
        if (bound > enc.buf.length) {
          this.text((i ? ',' : '[') + q(r));
          continue;
        }
      }
      enc.byte(i ? 44 : 91);
      enc.source(r);
    }
    this.text(']');
  }

  private text(s: string): void {
    const enc = this.enc;
    if (enc.pos + s.length * 3 > enc.buf.length) {
      this.flush();
      if (s.length * 3 > enc.buf.length) {
        if (!this.out.write(Buffer.from(s, 'utf8'))) this.needDrain = true;
        return;
      }
    }
    enc.pos += enc.buf.write(s, enc.pos);
  }
}

const q = JSON.stringify;

/**
 * Encodes JSON straight into a Buffer, byte by byte for the text that needs no escaping (addresses,
 * ISO times, vocabulary words, numbers, plain ASCII client text): no string is built per record.
 */
class ByteEncoder {
  buf: Buffer;
  pos = 0;
  /** `{"file":<file>,"line":` per evidence file name, encoded once. */
  private evidenceFile = '';
  private evidenceHead: Buffer = Buffer.alloc(0);
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Text known to be printable ASCII with nothing to escape (keys, vocabulary, IPs, ISO times). */
  raw(s: string): void {
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** A JSON number (integers digit by digit; anything else through String()). */
  num(n: number): void {
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
      const b = this.buf;
      if (n < 10) {
        b[this.pos++] = 48 + n;
        return;
      }
      let digits = 1;
      for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
      let p = this.pos + digits;
      this.pos = p;
      for (let t = n; p > this.pos - digits; t = (t / 10) | 0) b[--p] = 48 + (t % 10);
    } else this.raw(q(n));
  }

  /** A JSON string: printable ASCII without `"` and `\\` is copied as is, anything else goes through JSON.stringify. */
  str(s: string): void {
    // One pass: copy while checking; on the first character that needs escaping (or is not
    // ASCII), drop what was copied and let JSON.stringify write the string.
    const b = this.buf;
    const n = s.length;
    let p = this.pos;
    b[p++] = 34;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c > 126 || c === 34 || c === 92) {
        this.pos += b.write(q(s), this.pos);
        return;
      }
      b[p++] = c;
    }
    b[p++] = 34;
    this.pos = p;
  }

  strOrNull(s: string | null): void {
    if (s === null) this.raw('null');
    else this.str(s);
  }

  numOrNull(n: number | null): void {
    if (n === null) this.raw('null');
    else this.num(n);
  }

  strArray(a: readonly string[]): void {
    this.byte(91);
    for (let i = 0; i < a.length; i++) {
      if (i) this.byte(44);
      this.str(a[i]);
    }
    this.byte(93);
  }

  private evidenceHeadFor(file: string): Buffer {
    if (file !== this.evidenceFile || this.evidenceHead.length === 0) {
      this.evidenceFile = file;
      this.evidenceHead = Buffer.from(`{"file":${q(file)},"line":`, 'utf8');
    }
    return this.evidenceHead;
  }

  /**
   * An upper bound of the bytes `connection(r)` writes: 6 bytes per UTF-16 unit of client text
   * (a `\\u00XX` escape), the rest fixed-size.
   */
  connectionBound(r: ConnectionRecord): number {
    let text = r.detail.length + (r.host?.length ?? 0) + (r.reason?.length ?? 0) + (r.clientVersion?.length ?? 0) + (r.disconnect?.message.length ?? 0);
    for (let i = 0; i < r.users.length; i++) text += r.users[i].length + 3;
    for (let i = 0; i < r.methods.length; i++) text += r.methods[i].length + 3;
    let evidence = 0;
    const e = r.evidence;
    for (let i = 0; i < e.length; i++) {
      evidence += 6 * e[i].file.length + 48;
      const t = e[i].text;
      if (t !== undefined) evidence += 6 * t.length + 12;
    }
    return 640 + 6 * text + evidence + 12 * r.pids.length;
  }

  sourceBound(r: SourceRecord): number {
    let text = r.address.length + r.class.length + r.why.length + (r.detail?.length ?? 0) + 64;
    for (let i = 0; i < r.users.length; i++) text += r.users[i].length + 3;
    let keys = 0;
    for (const k in r.outcomes) keys += k.length + 24;
    return 256 + 6 * (text + keys);
  }

  /** One source record, byte for byte what JSON.stringify(rec) writes (key order of SourceStats.toRecord). */
  source(r: SourceRecord): void {
    this.raw('{"address":');
    this.str(r.address);
    this.raw(',"class":');
    this.str(r.class);
    this.raw(',"why":');
    this.str(r.why);
    this.raw(',"connections":');
    this.num(r.connections);
    this.raw(',"outcomes":{');
    let first = true;
    const o = r.outcomes as Record<string, number | undefined>;
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      if (!first) this.byte(44);
      first = false;
      this.str(k);
      this.byte(58);
      this.num(v);
    }
    this.raw('},"firstSeen":');
    this.strOrNull(r.firstSeen);
    this.raw(',"lastSeen":');
    this.strOrNull(r.lastSeen);
    this.raw(',"users":');
    this.strArray(r.users);
    this.raw(',"failures":');
    this.num(r.failures);
    this.raw(',"attempts":');
    this.num(r.attempts);
    this.raw(r.attemptsAtLeast ? ',"attemptsAtLeast":true,"detail":' : ',"attemptsAtLeast":false,"detail":');
    this.strOrNull(r.detail);
    this.byte(125);
  }

  /** One connection record, byte for byte what JSON.stringify(rec) writes (key order of tracker.emit; test/analyze-cli checks it). */
  connection(r: ConnectionRecord): void {
    this.raw('{"host":');
    this.strOrNull(r.host);
    this.raw(',"pid":');
    this.numOrNull(r.pid);
    this.raw(',"pids":[');
    for (let i = 0; i < r.pids.length; i++) {
      if (i) this.byte(44);
      this.num(r.pids[i]);
    }
    this.raw('],"src":');
    this.strOrNull(r.src);
    this.raw(',"srcPort":');
    this.numOrNull(r.srcPort);
    this.raw(',"local":');
    this.strOrNull(r.local);
    this.raw(',"localPort":');
    this.numOrNull(r.localPort);
    this.raw(',"start":');
    this.strOrNull(r.start);
    this.raw(',"end":');
    this.strOrNull(r.end);
    this.raw(',"phase":');
    this.str(r.phase);
    this.raw(',"outcome":');
    this.str(r.outcome);
    this.raw(',"detail":');
    this.str(r.detail);
    this.raw(',"users":');
    this.strArray(r.users);
    this.raw(',"methods":');
    this.strArray(r.methods);
    this.raw(',"failures":');
    this.num(r.failures);
    this.raw(',"evidence":[');
    const e = r.evidence;
    for (let i = 0; i < e.length; i++) {
      const x = e[i];
      if (i) this.byte(44);
      const head = this.evidenceHeadFor(x.file);
      this.buf.set(head, this.pos);
      this.pos += head.length;
      this.num(x.line);
      if (x.text !== undefined) {
        this.raw(',"text":');
        this.str(x.text);
      }
      this.byte(125);
    }
    this.byte(93);
    if (r.reason !== undefined) {
      this.raw(',"reason":');
      this.str(r.reason);
    }
    if (r.inferred !== undefined) this.raw(r.inferred ? ',"inferred":true' : ',"inferred":false');
    if (r.clientVersion !== undefined) {
      this.raw(',"clientVersion":');
      this.str(r.clientVersion);
    }
    if (r.disconnect !== undefined) {
      this.raw(',"disconnect":{"code":');
      this.numOrNull(r.disconnect.code);
      this.raw(',"message":');
      this.str(r.disconnect.message);
      this.byte(125);
    }
    if (r.evidenceOmitted !== undefined) {
      this.raw(',"evidenceOmitted":');
      this.num(r.evidenceOmitted);
    }
    if (r.attemptsAtLeast !== undefined) {
      this.raw(',"attemptsAtLeast":');
      this.num(r.attemptsAtLeast);
    }
    this.byte(125);
  }
}

/** One source record as JSON, byte for byte what JSON.stringify(rec) writes (tests compare). */
export function sourceJson(r: SourceRecord): string {
  const enc = new ByteEncoder(0);
  enc.buf = Buffer.allocUnsafe(enc.sourceBound(r));
  enc.source(r);
  return enc.buf.toString('utf8', 0, enc.pos);
}

/**
 * One connection record as JSON, byte-for-byte what JSON.stringify(rec) gives (same key order,
 * optional keys only when present; test/analyze-cli checks the equality). The stream itself
 * encodes straight into its output buffer; this is the same encoder, for tests and other callers.
 */
export function connectionJson(r: ConnectionRecord): string {
  const enc = new ByteEncoder(0);
  enc.buf = Buffer.allocUnsafe(enc.connectionBound(r));
  enc.connection(r);
  return enc.buf.toString('utf8', 0, enc.pos);
}
