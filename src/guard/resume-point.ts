/**
 * Where the guard resumes reading after a restart. Saving "the position after the last line
 * read" loses decisions: a source seen 9 times out of 10 when the guard dies is scored from
 * zero after the restart, and its earlier lines are never read again. So each batch of lines
 * notes the position it started at, with the time it was read, and the resume point is the
 * oldest batch start still inside the policy window: a restart re-reads at most one window of
 * log (sources already banned are skipped), and every undecided source is scored again in full.
 * Pure: positions are opaque strings (a file position as JSON, a journal cursor), times are passed in.
 */
export class ResumePoint {
  private readonly starts: { at: number; position: string }[] = [];
  private head = 0;
  private current: string | null;

  constructor(initial: string | null) {
    this.current = initial;
  }

  /** A batch read at `at` started at `before` (the position before its first line) and ended at `after`. */
  noteBatch(at: number, before: string | null, after: string | null): void {
    const last = this.starts[this.starts.length - 1];
    // One entry per second is enough: the resume point only needs to be at or before the window.
    if (before !== null && (!last || at - last.at >= 1000)) this.starts.push({ at, position: before });
    if (after !== null) this.current = after;
  }

  /** The position to save: the oldest noted batch start within `windowMs` of `now`, else the current position. */
  position(now: number, windowMs: number): string | null {
    while (this.head < this.starts.length && this.starts[this.head].at < now - windowMs) this.head++;
    if (this.head > 1024) {
      this.starts.splice(0, this.head);
      this.head = 0;
    }
    return this.head < this.starts.length ? this.starts[this.head].position : this.current;
  }
}
