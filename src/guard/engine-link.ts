/**
 * The guard's link to the log engine (src/engine/analyzer.ts, the same incremental engine
 * `analyze` uses): one Analyzer for the daemon's lifetime, fed line by line, ticked each second
 * so silent connections close on LoginGraceTime. Connections are streamed, not kept.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import { Analyzer } from '../engine/analyzer.ts';
import type { GuardUpdate } from './updates.ts';

export interface LineAnalyzer {
  push(line: FramedLine): readonly GuardUpdate[];
  /** Also drops the engine's per-source summary (see below). */
  tick(nowMs: number): readonly GuardUpdate[];
}

export async function createAnalyzer(): Promise<LineAnalyzer> {
  const a = new Analyzer({ keepConnections: false, evidenceText: true });
  let pushed = 0;
  return {
    push(line) {
      if (++pushed % 50_000 === 0) trimSourceSummaries(a);
      return a.push(line);
    },
    tick(nowMs) {
      const out = a.tick(nowMs);
      trimSourceSummaries(a);
      return out;
    },
  };
}

/**
 * The Analyzer keeps a summary per source address for `finish()` (the analyze report). A daemon
 * never calls finish(), so over weeks that map would grow with every scanner on the Internet
 * (~1.4 KB per address measured): the guard empties it every tick; connection tracking is
 * separate and untouched. TODO(engine): replace with an AnalyzerOptions flag
 * (`trackSources: false`) when the engine offers one.
 */
function trimSourceSummaries(a: Analyzer): void {
  // Every per-source collection of the Analyzer (today `sources4`, `sources6`, `kexSources`).
  for (const [name, value] of Object.entries(a as unknown as Record<string, unknown>)) {
    if (!/^(sources|kexSources)/.test(name)) continue;
    if (value instanceof Map || value instanceof Set) value.clear();
  }
}
