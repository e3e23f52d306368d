/**
 * The time window of `doctor --since/--until`: `24h`, `2 hours ago`, `90m`, `yesterday`, `now`,
 * or a date (`2026-12-04`, `2026-12-04 10:00`, ISO 8601). Pure: `now` comes from the caller.
 */
import { parseDuration } from '../guard/duration.ts';

const WORDS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

/** ms since the epoch, or null when the text is not a time. */
export function parseWhen(text: string, now: number): number | null {
  const t = text.trim().toLowerCase();
  if (t === 'now') return now;
  if (t === 'today') return new Date(new Date(now).toDateString()).getTime();
  if (t === 'yesterday') return new Date(new Date(now).toDateString()).getTime() - 86_400_000;
  const ago = /^(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week)s?\s+ago$/.exec(t);
  if (ago) return now - Number(ago[1]) * WORDS[ago[2]];
  const rel = /^-?(.+)$/.exec(t);
  const d = rel ? parseDuration(rel[1].replace(/\s+/g, '').replace(/ago$/, '')) : null;
  if (d !== null && !/^\d{4}-/.test(t)) return now - d;
  const date = /^(\d{4})-(\d\d)-(\d\d)(?:[ t](\d\d):(\d\d)(?::(\d\d))?)?(z|[+-]\d\d:?\d\d)?$/.exec(t);
  if (date) {
    // Date.parse rolls 2026-02-30 over to March 2: a day or time out of range is not a time.
    const [y, mo, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(date[i] ?? 0));
    const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || sec > 59) return null;
    const ms = Date.parse(t.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}

/** "in the last 24 h", "since 2026-12-04T10:00:00Z", … for the verdict. */
export function windowText(since: number | null, until: number | null, now: number): string {
  if (since === null && until === null) return 'in the logs';
  if (until === null || Math.abs(until - now) < 60_000) {
    const min = since === null ? null : Math.round((now - since) / 60_000);
    if (min !== null && min > 0 && min % 60 === 0) return `in the last ${min / 60} h`;
    if (min !== null && min > 0 && min < 180) return `in the last ${min} min`;
    return `since ${new Date(since!).toISOString()}`;
  }
  return `between ${since === null ? 'the start' : new Date(since).toISOString()} and ${new Date(until).toISOString()}`;
}
