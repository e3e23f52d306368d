/**
 * The guard's link to the log engine (src/engine/analyzer.ts, the same incremental engine
 * `analyze` uses): one Analyzer for the daemon's lifetime, fed line by line, ticked each second
 * so silent connections close on LoginGraceTime. Connections are streamed, not kept, and the
 * engine keeps no per-source summaries (`trackSources: false`: a daemon never calls finish(), so
 * that table would grow with every scanner on the Internet; the guard scores sources itself in
 * source-table.ts). Memory is then bounded by the connections open at once.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import { Analyzer } from '../engine/analyzer.ts';
import type { GuardUpdate } from './updates.ts';

export interface LineAnalyzer {
  push(line: FramedLine): readonly GuardUpdate[];
  tick(nowMs: number): readonly GuardUpdate[];
}

export async function createAnalyzer(): Promise<LineAnalyzer> {
  const a = new Analyzer({ keepConnections: false, trackSources: false, evidenceText: true });
  return {
    push: (line) => a.push(line),
    tick: (nowMs) => a.tick(nowMs),
  };
}
