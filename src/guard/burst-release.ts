/**
 * Gives back the memory a reading burst used, once the burst is over. Reading a flood of lines
 * (a replay, a start far behind, an attack at full speed) grows V8's heap to tens of MB of pages
 * that V8 keeps after the strings in them died: with 1,000,000 sources tracked, about 50 MB of
 * the guard's RSS (bench/guard-load.ts `sources`). A last-resort major GC, which compacts the
 * heap and returns its free pages to the system, takes that back; it pauses the daemon for about
 * 0.1 s with a million sources, so it runs once per burst (100,000 lines or more read without an
 * idle tick), when the guard has gone idle.
 *
 * The burst's finished connections stay registered in the connection tracker for its trailer
 * window (60 s, connections/tracker.ts) and die only then: one follow-up release, at the first
 * idle tick FOLLOW_UP_TICKS after the burst's, gives their pages back too (about 5 MB after a
 * million sources).
 *
 * `BurstPolicy` is the pure rule (lines per tick in, "release now" out); `releaseHeap` is the
 * edge that runs the GC.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Lines read without a pause (no idle tick between them) that make a burst worth a release. */
export const BURST_LINES = 100_000;
/** Ticks (seconds) from a burst's release to its follow-up: past the tracker's 60 s trailer window. */
export const FOLLOW_UP_TICKS = 65;

export class BurstPolicy {
  private readonly minLines: number;
  private readonly followUpTicks: number;
  private lastTotal = 0;
  /** Lines read since the last idle tick. */
  private inBurst = 0;
  /** Ticks until the pending follow-up release may run (-1: none pending). */
  private followUpIn = -1;

  constructor(minLines = BURST_LINES, followUpTicks = FOLLOW_UP_TICKS) {
    this.minLines = minLines;
    this.followUpTicks = followUpTicks;
  }

  /**
   * Called once per tick with the number of lines read so far (a running total). True when a
   * burst of at least `minLines` lines has ended: nothing was read since the previous tick. A
   * trickle broken by idle ticks is no burst (its garbage is collected as it goes).
   */
  onTick(totalLines: number): boolean {
    const read = totalLines - this.lastTotal;
    this.lastTotal = totalLines;
    if (this.followUpIn > 0) this.followUpIn--;
    if (read > 0) {
      this.inBurst += read;
      return false;
    }
    const burst = this.inBurst >= this.minLines;
    this.inBurst = 0;
    if (burst) {
      this.followUpIn = this.followUpTicks;
      return true;
    }
    // The follow-up: once, at the first idle tick after its delay (a new burst re-arms it).
    if (this.followUpIn === 0) {
      this.followUpIn = -1;
      return true;
    }
    return false;
  }
}

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let gc: GcFunction | null | undefined;

/**
 * Runs a last-resort (memory-reducing) major GC. V8's `gc` function is made for a fresh context
 * only (`--expose-gc` after start-up does not touch the main context's globals). Returns the
 * milliseconds it took, or null when this V8 offers no such function.
 */
export function releaseHeap(): number | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('gc');
      gc = typeof f === 'function' ? (f as GcFunction) : null;
    } catch {
      gc = null;
    }
  }
  if (gc === null) return null;
  const t = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return performance.now() - t;
}
