/** How a stored ban is shown by `status` (daemon and offline): every field readable even when a stored date is not. */
import type { BanRow } from './store.ts';
import type { Evidence } from './updates.ts';

export interface BanView {
  target: string;
  since: string;
  until: string;
  reason: string;
  origin: string;
  offence: number;
  applied: boolean;
  error: string | null;
  evidence: Evidence[];
}

/** ISO time, or `invalid (<value>)` for a stored number outside the Date range (written by an older version). */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `invalid (${ms})` : d.toISOString();
}

export function banView(b: BanRow): BanView {
  let evidence: Evidence[] = [];
  try {
    evidence = JSON.parse(b.evidence) as Evidence[];
  } catch {
    evidence = [];
  }
  return {
    target: b.target,
    since: isoTime(b.since),
    until: isoTime(b.until),
    reason: b.reason,
    origin: b.origin,
    offence: b.offence,
    applied: b.applied === 1,
    error: b.error,
    evidence,
  };
}
