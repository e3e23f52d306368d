/**
 * The thread behind reader-thread.ts: reads and frames the inputs (src/sources, src/framing; `-` from fd 0) and
 * matches each sshd line against the catalog (src/events), then sends the lines and their events
 * packed (events/event-batch.ts). Messages out, in order: `batch`, `error`, `notice`, `progress`,
 * and last `end` (the reader's counts) or `fail`. It waits while MAX_IN_FLIGHT batches are not yet
 * consumed (the main thread adds one to `consumed[0]` per batch), at most STALL_MS in all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readInputs, type ReadInputsOptions } from '../sources/read-inputs.ts';
import { stdinFromFd } from '../sources/stdin-fd.ts';
import { isSshdProgram, matchText, newScratchEvent } from '../events/index.ts';
import { EventBatchWriter, type EventBatch } from '../events/event-batch.ts';

export interface ReaderWorkerData {
  inputs: string[];
  options: Pick<ReadInputsOptions, 'format' | 'timezone' | 'year' | 'journalTrust'>;
  withMessages: boolean;
  consumed: Int32Array;
}

const MAX_IN_FLIGHT = 16;
const WAIT_MS = 100;
const STALL_MS = 120_000;

const port = parentPort;
if (port === null) throw new Error('reader-worker.ts runs as a worker thread only');
const data = workerData as ReaderWorkerData;
let posted = 0;

function post(b: EventBatch): void {
  let seen = Atomics.load(data.consumed, 0);
  let since = Date.now();
  while (posted - seen >= MAX_IN_FLIGHT) {
    Atomics.wait(data.consumed, 0, seen, WAIT_MS);
    const now = Atomics.load(data.consumed, 0);
    if (now !== seen) {
      seen = now;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) throw new Error(`the main thread took no lines for ${STALL_MS / 1000} s`);
  }
  port!.postMessage({ kind: 'batch', batch: b }, [b.floats.buffer as ArrayBuffer, b.ints.buffer as ArrayBuffer]);
  posted++;
}

async function run(): Promise<void> {
  const reader = readInputs(data.inputs, {
    ...data.options,
    stdin: data.inputs.includes('-') ? stdinFromFd() : undefined,
    onError: (file, line, message) => port!.postMessage({ kind: 'error', file, line, message }),
    onNotice: (file, message) => port!.postMessage({ kind: 'notice', file, message }),
    onProgress: (done, total) => port!.postMessage({ kind: 'progress', done, total }),
  });
  const writer = new EventBatchWriter(post, data.withMessages);
  const scratch = newScratchEvent();
  for await (const batch of reader.batches()) {
    for (let i = 0; i < batch.length; i++) {
      const line = batch[i];
      writer.add(line, isSshdProgram(line.program) ? matchText(line.message, scratch) : null);
    }
  }
  writer.flush();
  port!.postMessage({ kind: 'end', counts: reader.counts });
}

run().catch((e: unknown) => port.postMessage({ kind: 'fail', message: e instanceof Error ? e.message : String(e) }));
