/**
 * Whether `analyze`, `report` and `doctor` read, frame and match on a second thread (analyze/reader-thread.ts):
 * only for inputs large enough to pay for the worker.
 */
import { fstatSync, statSync } from 'node:fs';
import { UserError } from './user-error.ts';
import type { InputSpec } from '../sources/read-inputs.ts';

/** Text bytes from which reading, framing and matching get their own thread (a worker costs ~40 ms and ~10 MB to start). */
const READER_THREAD_FROM_BYTES = 8 << 20;
/** A logrotate'd .gz (.zst, .xz) holds about this many times its size in text (the bench log's .gz: 8.5). */
const GZ_TEXT_RATIO = 8;

/**
 * Whether the inputs are large enough for the reader thread (analyze/reader-thread.ts): files whose
 * text adds up to READER_THREAD_FROM_BYTES, and stdin from a pipe (`zcat *.gz | sshwarden analyze -`,
 * `journalctl | …`: no size to judge by, and a pipe is how large inputs arrive). A terminal and the
 * journal are read on the main thread.
 * SSHWARDEN_ANALYZE_READER_THREAD=always|never decides instead (undocumented for users: the test
 * comparing both paths uses it).
 */
export function readerThreadWanted(inputs: readonly InputSpec[]): boolean {
  const forced = process.env.SSHWARDEN_ANALYZE_READER_THREAD;
  if (forced === 'always') return true;
  if (forced === 'never') return false;
  if (forced !== undefined && forced !== '') throw new UserError(`SSHWARDEN_ANALYZE_READER_THREAD: "${forced}" is not always or never`);
  let bytes = 0;
  for (const input of inputs) {
    if (typeof input !== 'string') return false;
    if (input === '-') {
      const kind = stdinKind();
      if (kind === 'stream') return true;
      if (kind === 'other') return false;
      bytes += kind;
      continue;
    }
    try {
      const st = statSync(input);
      if (st.isFile()) bytes += /\.(gz|zst|xz)$/.test(input) ? st.size * GZ_TEXT_RATIO : st.size;
    } catch {
      // the reader reports it
    }
  }
  return bytes >= READER_THREAD_FROM_BYTES;
}

/**
 * Standard input: its size when it is a regular file (`< auth.log`), 'stream' for a pipe or a
 * socket, 'other' for a terminal or what cannot be looked at (read on the main thread, as before).
 */
function stdinKind(): number | 'stream' | 'other' {
  try {
    const st = fstatSync(0);
    if (st.isFile()) return st.size;
    if (st.isFIFO() || st.isSocket()) return 'stream';
  } catch {
    // closed or unreadable: the reader reports it
  }
  return 'other';
}
