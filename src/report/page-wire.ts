/**
 * The report page's wire section (`report --pcap FILE`): what the capture saw, by outcome and by
 * Zeek conn_state, the connections only the wire saw (with why the log could not), the
 * disagreements between the two views and the clock offset between the capture and the log.
 * Aggregated and bounded like the rest of the page data. Pure.
 */
import type { Outcome } from '../vocabulary.ts';
import type { PcapSummary } from '../pcap/analyze.ts';
import type { JoinResult } from '../pcap/join.ts';
import type { WireConnection } from '../pcap/types.ts';

/** Rows of the wire-only and disagreement tables at most. */
export const MAX_WIRE_ROWS = 500;

/** [time s, client, client port, outcome, detail, frame, why] */
export type WireRow = [number, string, number, Outcome, string, number, string];

export interface WireSection {
  file: string;
  packets: number;
  connections: number;
  first: number | null;
  last: number | null;
  /** The capture's structural error (the packets before it were read), or null. */
  error: string | null;
  /** Outcome counts from the wire alone, and joined with the log (null without a log). */
  outcomes: Partial<Record<Outcome, number>>;
  joinedOutcomes: Partial<Record<Outcome, number>> | null;
  connStates: Record<string, number>;
  joined: boolean;
  clockOffsetMs: number | null;
  offsetPairs: number;
  both: number;
  logOnly: number;
  wireOnly: { rows: WireRow[]; total: number };
  /** [time s, client, port, wire outcome, log outcome, frame] */
  disagreements: { rows: [number, string, number, Outcome, Outcome, number][]; total: number };
}

const sec = (iso: string) => Date.parse(iso) / 1000;

export function wireSection(file: string, summary: PcapSummary, wire: readonly WireConnection[], join: JoinResult | null): WireSection {
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const w of wire) outcomes[w.outcome] = (outcomes[w.outcome] ?? 0) + 1;
  const connStates: Record<string, number> = {};
  for (const w of wire) connStates[w.connState] = (connStates[w.connState] ?? 0) + 1;
  const only = join?.wireOnly ?? [];
  const dis = join?.disagreements ?? [];
  return {
    file,
    packets: summary.packets,
    connections: wire.length,
    first: summary.first === null ? null : sec(summary.first),
    last: summary.last === null ? null : sec(summary.last),
    error: summary.error,
    outcomes,
    joinedOutcomes: join?.outcomes ?? null,
    connStates,
    joined: join !== null,
    clockOffsetMs: join?.clockOffsetMs ?? null,
    offsetPairs: join?.offsetPairs ?? 0,
    both: join?.both.length ?? 0,
    logOnly: join?.logOnly.length ?? 0,
    wireOnly: { rows: only.slice(0, MAX_WIRE_ROWS).map(({ wire: w, why }) => [sec(w.start), w.client, w.clientPort, w.outcome, w.detail, w.frame, why]), total: only.length },
    disagreements: { rows: dis.slice(0, MAX_WIRE_ROWS).map((b) => [sec(b.wire.start), b.client, b.clientPort, b.wire.outcome, b.log.outcome, b.wire.frame]), total: dis.length },
  };
}
