/**
 * Where a report page (or its --json) goes: `-o FILE`, opened before the work starts (a wrong path
 * fails at once), or stdout for `-o -` or no -o. On failure the half-written file is removed.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { EXIT } from './exit-codes.ts';
import { UserError } from './user-error.ts';

export class PageOutput {
  private readonly file: string | null;
  private readonly fd: number;

  /** Opens `output` for writing ("-" or undefined: stdout); a path that cannot be written is a usage error (one line). */
  constructor(output: string | undefined) {
    this.file = output === undefined || output === '-' ? null : output;
    if (this.file === null) {
      this.fd = 1;
      return;
    }
    try {
      this.fd = openSync(this.file, 'w');
    } catch (e) {
      throw new UserError(`-o ${output}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE);
    }
  }

  write(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  /** Closes the file; `failed`: removes it too (no half-written page left behind). */
  close(failed: boolean): void {
    if (this.file === null) return;
    closeSync(this.fd);
    if (failed) unlinkSync(this.file);
  }
}
