/**
 * The guard's decisions as `sshwarden status --json` shows them (`recent[]`), whether the running
 * daemon answers or the store is read directly: ISO-8601 times (like `analyze`), evidence as a
 * JSON array (never JSON inside a string). Bans: ban-view.ts. Pure.
 */
import type { DecisionRow } from './store.ts';
import type { Evidence } from './updates.ts';
import { isoTime } from './ban-view.ts';

function evidenceOf(text: string): Evidence[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as Evidence[]) : [];
  } catch {
    return [];
  }
}

export function decisionView(d: DecisionRow): Record<string, unknown> {
  return {
    id: d.id,
    time: isoTime(d.ts),
    action: d.action,
    target: d.target,
    reason: d.reason,
    origin: d.origin,
    until: d.until === null ? null : isoTime(d.until),
    evidence: evidenceOf(d.evidence),
  };
}
