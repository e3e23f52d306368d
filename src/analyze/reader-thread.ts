/**
 * Reading, framing and matching on a second thread, for large inputs: the worker
 * (reader-worker.ts) does sources → framing → events and sends the lines with their events packed
 * (events/event-batch.ts); this thread tracks connections, classifies and writes the report. The
 * engine sees the same lines and events in the same order as in one thread, so the answer is the
 * same (test/analyze-cli/reader-thread.test.ts compares the JSON byte for byte). The engine stays
 * pure: the thread is an edge, like the reader it replaces.
 *
 * Bounded: the worker waits while 16 batches of 2,048 lines are not consumed (`consumed()` after
 * each): it never reads more than that ahead of the engine.
 */
import { Worker } from 'node:worker_threads';
import type { EventBatch } from '../events/event-batch.ts';
import type { ReadCounts, ReadInputsOptions } from '../sources/read-inputs.ts';
import type { ReaderWorkerData } from './reader-worker.ts';

const ENTRY = new URL('./reader-worker.ts', import.meta.url);

type Message =
  | { kind: 'batch'; batch: EventBatch }
  | { kind: 'error'; file: string; line: number | null; message: string }
  | { kind: 'notice'; file: string; message: string }
  | { kind: 'progress'; done: number; total: number }
  | { kind: 'end'; counts: ReadCounts }
  | { kind: 'fail'; message: string };

export interface ReaderThreadOptions extends Pick<ReadInputsOptions, 'format' | 'timezone' | 'year' | 'journalTrust' | 'onError' | 'onNotice' | 'onProgress'> {
  /** Carry every line's message (evidence with text); otherwise only where the engine reads it. */
  withMessages: boolean;
}

export class ReaderThread {
  private readonly worker: Worker;
  private readonly consumedCount = new Int32Array(new SharedArrayBuffer(4));
  private readonly queue: Message[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  private counts_: ReadCounts | null = null;

  constructor(inputs: readonly string[], o: ReaderThreadOptions) {
    const data: ReaderWorkerData = {
      inputs: [...inputs],
      options: { format: o.format, timezone: o.timezone, year: o.year, journalTrust: o.journalTrust },
      withMessages: o.withMessages,
      consumed: this.consumedCount,
    };
    this.worker = new Worker(ENTRY, { workerData: data, stdout: false, stderr: false });
    const push = (m: Message) => {
      this.queue.push(m);
      this.wake?.();
    };
    this.worker.on('message', (m: Message) => {
      if (m.kind === 'error') o.onError?.(m.file, m.line, m.message);
      else if (m.kind === 'notice') o.onNotice?.(m.file, m.message);
      else if (m.kind === 'progress') o.onProgress?.(m.done, m.total);
      else push(m);
    });
    this.worker.on('error', (e) => push({ kind: 'fail', message: e.message }));
    this.worker.on('exit', (code) => {
      if (!this.ended) push({ kind: 'fail', message: `the reading thread ended early (exit ${code})` });
    });
  }

  /** The reader's counts, once `batches()` is done. */
  get counts(): ReadCounts {
    if (this.counts_ === null) throw new Error('ReaderThread.counts before the end of the input');
    return this.counts_;
  }

  /** The packed batches, in order. Call `consumed()` after each. */
  async *batches(): AsyncGenerator<EventBatch> {
    try {
      for (;;) {
        const m = this.queue.shift();
        if (m === undefined) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = null;
          continue;
        }
        if (m.kind === 'batch') yield m.batch;
        else if (m.kind === 'end') {
          this.ended = true;
          this.counts_ = m.counts;
          return;
        } else if (m.kind === 'fail') throw new Error(`reading thread: ${m.message}`);
      }
    } finally {
      this.ended = true;
      void this.worker.terminate();
    }
  }

  consumed(): void {
    Atomics.add(this.consumedCount, 0, 1);
    Atomics.notify(this.consumedCount, 0);
  }
}
