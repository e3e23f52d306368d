/**
 * The `pcap` engine's public face, for `sshwarden pcap`, `report --pcap` and `doctor --pcap`:
 *
 *   const wire = await analyzeCaptureFile('ssh.pcap', { ports: [22] });   // or analyzePcap(chunks, …)
 *   const joined = joinWireWithLog(wire.connections ?? [], logResult);    // logResult: Analyzer.finish() with keepConnections
 *
 * analyzeCaptureFile is the only function here that does I/O (reads the file through
 * sources/byte-sources.ts, gzip too); everything else is pure.
 */
import { InputError, openFile, stdinSource } from '../sources/byte-sources.ts';
import { analyzePcap, PcapAnalyzer, type PcapOptions, type PcapResult } from './analyze.ts';

export { analyzePcap, PcapAnalyzer, type PcapOptions, type PcapResult, type PcapSummary } from './analyze.ts';
export { joinWireWithLog, type JoinResult, type BothSaw } from './join.ts';
export type { WireConnection, ConnState, KexFacts } from './types.ts';

/** Reads a capture file (`-` = stdin). Throws InputError (message for the user) when it cannot be opened; a damaged capture is `summary.error`. */
export async function analyzeCaptureFile(path: string, opts: PcapOptions = {}): Promise<PcapResult> {
  const src = path === '-' ? stdinSource(process.stdin) : await openFile(path);
  try {
    return await analyzePcap(src.chunks(() => {}), opts);
  } finally {
    await src.close();
  }
}

export { InputError };
