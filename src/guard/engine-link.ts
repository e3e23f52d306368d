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
  tick(nowMs: number): readonly GuardUpdate[];
}

export async function createAnalyzer(): Promise<LineAnalyzer> {
  return new Analyzer({ keepConnections: false, evidenceText: true });
}
