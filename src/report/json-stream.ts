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
  constructor(out: ChunkWriter) {
    this.out = out;
    this.buf = '{"connections":[';
  }

  connection(rec: ConnectionRecord): void {
    this.buf += (this.count++ === 0 ? '\n' : ',\n') + JSON.stringify(rec);
    if (this.buf.length >= FLUSH_AT) this.flush();
  }

  /** True when the writer asked to wait; the caller awaits its drain and calls `drained()`. */
  get backpressure(): boolean {
    return this.needDrain;
  }

  drained(): void {
    this.needDrain = false;
  }

  flush(): void {
    if (this.buf.length === 0) return;
    if (!this.out.write(this.buf)) this.needDrain = true;
    this.buf = '';
  }

  /** Writes everything after the connections and closes the document. */
  end(rest: Omit<AnalysisResult, 'connections'> & Record<string, unknown>): void {
    let tail = this.count ? '\n]' : ']';
    for (const [k, v] of Object.entries(rest)) tail += `,\n${JSON.stringify(k)}:${JSON.stringify(v)}`;
    this.buf += `${tail}\n}\n`;
    this.flush();
  }
}
