/**
 * The guard's bans and decisions as `sshwarden status --json` shows them, whether the running
 * daemon answers or the store is read directly: ISO-8601 times (like `analyze`), evidence as a
 * JSON array (never JSON inside a string). Pure.
 */
import type { BanRow, DecisionRow } from './store.ts';
import type { Evidence } from './updates.ts';

function evidenceOf(text: string): Evidence[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as Evidence[]) : [];
  } catch {
    return [];
  }
}

export function banView(b: BanRow): Record<string, unknown> {
  return {
    target: b.target,
    since: new Date(b.since).toISOString(),
    until: new Date(b.until).toISOString(),
    reason: b.reason,
    origin: b.origin,
    offence: b.offence,
    applied: b.applied === 1,
    error: b.error,
    evidence: evidenceOf(b.evidence),
  };
}

export function decisionView(d: DecisionRow): Record<string, unknown> {
  return {
    id: d.id,
    time: new Date(d.ts).toISOString(),
    action: d.action,
    target: d.target,
    reason: d.reason,
    origin: d.origin,
    until: d.until === null ? null : new Date(d.until).toISOString(),
    evidence: evidenceOf(d.evidence),
  };
}
