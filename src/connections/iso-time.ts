/**
 * Millisecond epoch → ISO-8601 UTC text (`2026-11-21T20:27:48.991Z`), as Date#toISOString gives,
 * but about 20× faster: `new Date(ms).toISOString()` costs ~1.7 µs on Node 24, and every
 * connection record needs two. The date part is cached per UTC day; the time part is arithmetic.
 */
const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedPrefix = '';
/**
 * The last two seconds formatted (`2026-11-21T20:27:48.`): a connection's start and end, and
 * consecutive connections, mostly fall in one of them (two slots: start and end alternate).
 */
let cachedSecond = Number.NaN;
let cachedSecondPrefix = '';
let otherSecond = Number.NaN;
let otherSecondPrefix = '';
const MILLIS: string[] = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);

function two(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

export function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedSecondPrefix + MILLIS[Math.floor(ms - second * 1000)];
  if (second === otherSecond) return otherSecondPrefix + MILLIS[Math.floor(ms - second * 1000)];
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    const d = new Date(day * DAY_MS).toISOString();
    if (d.length !== 24) return new Date(ms).toISOString(); // years outside 0000–9999
    cachedDay = day;
    cachedPrefix = d.slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.floor(rest / 1000);
  const milli = Math.floor(rest - s * 1000);
  otherSecond = cachedSecond;
  otherSecondPrefix = cachedSecondPrefix;
  cachedSecond = second;
  cachedSecondPrefix = `${cachedPrefix}${two(h)}:${two(m)}:${two(s)}.`;
  return cachedSecondPrefix + MILLIS[milli];
}
