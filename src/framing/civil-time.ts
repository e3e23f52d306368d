/**
 * Wall-clock time → UTC milliseconds, for the zone-less timestamps of RFC 3164 syslog and
 * journalctl's short formats. Pure arithmetic plus Intl (no clock): the zone's offset is
 * looked up through Intl.DateTimeFormat once per wall-clock hour and cached, because Intl
 * costs microseconds and a log has millions of lines but few distinct hours.
 */

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). H. Hinnant's algorithm. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Wall-clock fields as milliseconds "as if UTC". */
export function wallMs(year: number, month: number, day: number, h: number, m: number, s: number, ms: number): number {
  return daysFromCivil(year, month, day) * MS_PER_DAY + h * MS_PER_HOUR + m * 60_000 + s * 1000 + ms;
}

/** The machine's IANA zone (read at the edge and passed in; the framers never call this themselves unless no zone was given). */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** True when `name` is an IANA zone this Node knows (e.g. `UTC`, `Europe/Berlin`). */
export function isValidTimeZone(name: string): boolean {
  if (isUtcName(name)) return true; // no Intl: its first use loads ICU data (~10 ms)
  const known = validZones.get(name);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    ok = true;
  } catch {
    ok = false;
  }
  if (validZones.size < 1000) validZones.set(name, ok);
  return ok;
}
/** Creating an Intl.DateTimeFormat costs milliseconds: remember the answers (a pure function of the name). */
const validZones = new Map<string, boolean>();

function isUtcName(zone: string): boolean {
  const z = zone.toUpperCase();
  return z === 'UTC' || z === 'ETC/UTC' || z === 'GMT' || z === 'ETC/GMT' || z === 'UCT' || z === 'ETC/UCT' || z === 'ZULU' || z === 'ETC/ZULU' || z === 'UNIVERSAL' || z === 'ETC/UNIVERSAL';
}

/** Converts wall-clock times of one IANA zone to UTC. */
export class ZoneClock {
  readonly timeZone: string;
  readonly isUtc: boolean;
  /** Made at the first offset lookup (a UTC clock, or a log whose times all carry offsets, never needs it). */
  private fmt: Intl.DateTimeFormat | null = null;
  private readonly cache = new Map<number, number>();

  /** Throws RangeError `unknown time zone "X"` for a name Intl does not know. */
  constructor(timeZone: string) {
    if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as UTC or Europe/Berlin)`);
    this.timeZone = timeZone;
    this.isUtc = isUtcName(timeZone);
  }

  /** Offset (ms, wall − UTC) of the zone at UTC instant `utc`. */
  private offsetAt(utc: number): number {
    this.fmt ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    const parts = this.fmt.formatToParts(new Date(utc));
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0;
    for (const p of parts) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value); break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
      }
    }
    const wall = wallMs(y, mo, d, h, mi, s, 0);
    return wall - (utc - (((utc % 1000) + 1000) % 1000));
  }

  /**
   * UTC ms of a wall-clock time in this zone. In a DST gap the time is read with the offset
   * before the gap; in an overlap, the first (earlier) occurrence... as Intl resolves it.
   */
  toUtc(wall: number): number {
    if (this.isUtc) return wall;
    if (!Number.isFinite(wall)) return NaN;
    const key = Math.floor(wall / MS_PER_HOUR);
    let off = this.cache.get(key);
    if (off === undefined) {
      const base = key * MS_PER_HOUR;
      const o1 = this.offsetAt(base);
      const o2 = this.offsetAt(base - o1);
      off = o2;
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(key, off);
    }
    return wall - off;
  }
}
