/** Durations in config and on the command line: `90`, `90s`, `10m`, `1h`, `7d`, `2w`, or combined `1h30m`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The longest ban: 365 days. nftables refuses element timeouts of 100,000,000 s and more
 * ("value too large"), and a date must stay inside JavaScript's range; one year is far below
 * both and longer than any sane ban. Every ban duration (CLI `--for`, the control socket's
 * `seconds`, config `ban.duration` / `ban.max_duration`) is checked against it when parsed.
 */
export const MAX_BAN_MS = 365 * 86_400_000;
/** The longest any other duration may be (windows, remember, authenticated_for): 10 years. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Milliseconds, or null when `s` is not a duration (negative, not finite, or past 10 years included). A bare number means seconds. */
export function parseDuration(s: string | number): number | null {
  let ms: number;
  if (typeof s === 'number') ms = Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : NaN;
  else {
    const t = s.trim();
    if (/^\d+(\.\d+)?$/.test(t)) ms = Math.round(Number(t) * 1000);
    else {
      const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
      let total = 0;
      let pos = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(t)) !== null) {
        total += Number(m[1]) * UNIT_MS[m[2]];
        pos = re.lastIndex;
      }
      ms = pos !== t.length || pos === 0 ? NaN : Math.round(total);
    }
  }
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_DURATION_MS ? ms : null;
}

/** Why `ms` (a parsed duration, or null) cannot be a ban duration, or null when it can. */
export function banDurationProblem(ms: number | null): string | null {
  if (ms === null) return 'not a duration (e.g. 90s, 10m, 1h, 7d; at most 365d)';
  if (ms < 1000) return 'shorter than 1 s';
  if (ms > MAX_BAN_MS) return `longer than the 365-day limit (${formatDuration(ms)})`;
  return null;
}

/** Compact human form: 3600000 → `1h`, 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= n) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
  }
  return parts.join('') || '0s';
}
