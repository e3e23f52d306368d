import type { FramedLine } from './framed-line.ts';
import { newCounts, type Framer, type FramerCounts, type FramerOptions } from './framer.ts';
import { isSshdProgramAt, programNameAt } from './program-name.ts';
import { wallMs, ZoneClock, localTimeZone } from './civil-time.ts';
import { YearTracker } from './year-inference.ts';
import { ownString } from './own-string.ts';
import { looksLikeSshdMessage } from './sshd-like.ts';

/**
 * One framer for every "timestamp host program[pid]: message" text format: RFC 3164 syslog,
 * rsyslog's RFC 3339 high-precision form, RFC 5424, and journalctl's short, short-iso,
 * short-precise and short-full. The timestamp form is recognised per line from its first
 * characters (`<`, a digit, a month or a weekday), so files that mix forms (fail2ban's test
 * logs, merged logs) frame correctly whatever format was detected; the host is optional
 * (`Nov 23 21:50:19 sshd[8148]: …`), and so is the timestamp (fail2ban's journal form
 * `srv sshd[1]: …`).
 *
 * Envelope extras other syslog daemons write, each skipped at its own position only:
 *   busybox syslogd      `Jun 20 02:18:39 vps auth.info sshd[13482]: …`  (facility.level after the host)
 *   FreeBSD syslogd -v   `Jun 20 02:18:39 <10.5> vps sshd[1]: …`, -vv `<auth.info>` (before the host)
 *   socklog              `auth.info: May 27 04:31:28 sshd[30993]: …`, svlogd's `@4000…` TAI64N label first
 *   macOS                `2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: …` (ISO date, space, ±hhmm)
 *   rsyslog RFC 5424     `<38>1 … - -  msg` (RSYSLOG_SyslogProtocol23Format keeps the message's own leading space)
 *
 * Hot path: hand-written index scanning over character codes, no regular expressions. A
 * regex over the envelope costs a match object and capture strings for every line, including
 * the majority from other programs; scanning lets us reject a CRON or systemd line after
 * reading its program name, having allocated nothing (the speed target is ≥ 1.6M lines/s for
 * the whole pipeline).
 *
 * Trust: host, program and pid are read only from their envelope positions, before the
 * message starts; the message is never searched for an envelope. Syslog daemons escape
 * newlines in messages (`#012`, `\n`), so one physical line is one record.
 */

const SP = 32, TAB = 9, CR = 13, LT = 60, GT = 62, LB = 91, RB = 93, COLON = 58, DOT = 46, DASH = 45, PLUS = 43, ZERO = 48, NINE = 57, T_ = 84, Z_ = 90, z_ = 122;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** Month number 1-12 of the three letters at `p`, or 0. */
function monthAt(s: string, p: number): number {
  const a = s.charCodeAt(p) | 0x20, b = s.charCodeAt(p + 1) | 0x20, c = s.charCodeAt(p + 2) | 0x20;
  switch (a) {
    case 106: // j
      if (b === 97 && c === 110) return 1; // jan
      if (b === 117 && c === 110) return 6; // jun
      if (b === 117 && c === 108) return 7; // jul
      return 0;
    case 102: return b === 101 && c === 98 ? 2 : 0; // feb
    case 109: // m
      if (b === 97 && c === 114) return 3; // mar
      if (b === 97 && c === 121) return 5; // may
      return 0;
    case 97: // a
      if (b === 112 && c === 114) return 4; // apr
      if (b === 117 && c === 103) return 8; // aug
      return 0;
    case 115: return b === 101 && c === 112 ? 9 : 0; // sep
    case 111: return b === 99 && c === 116 ? 10 : 0; // oct
    case 110: return b === 111 && c === 118 ? 11 : 0; // nov
    case 100: return b === 101 && c === 99 ? 12 : 0; // dec
    default: return 0;
  }
}

/** True when the three letters at `p` are an English weekday abbreviation. */
function isWeekdayAt(s: string, p: number): boolean {
  const w = s.substr(p, 3);
  return w === 'Mon' || w === 'Tue' || w === 'Wed' || w === 'Thu' || w === 'Fri' || w === 'Sat' || w === 'Sun';
}

function twoDigits(s: string, p: number): number {
  const a = s.charCodeAt(p) - ZERO, b = s.charCodeAt(p + 1) - ZERO;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function fourDigits(s: string, p: number): number {
  const a = twoDigits(s, p), b = twoDigits(s, p + 2);
  if (a < 0 || b < 0) return -1;
  return a * 100 + b;
}

export class SyslogFramer implements Framer {
  readonly counts: FramerCounts = newCounts();
  private readonly file: string;
  /** The zone of zone-less timestamps: the configured one, or the machine's, looked up at first need (clock). */
  private zone: ZoneClock | null;
  private readonly years: YearTracker;
  private lastHost: string | null = null;
  /** Result of the last timestamp parse (avoids returning a pair). */
  private ts: number | null = null;

  constructor(file: string, opts: FramerOptions = {}) {
    this.file = file;
    // The machine's zone only when a timestamp without an offset comes: asking Intl for it loads
    // ICU's locale data (~5 MB of RSS in the guard), which logs with offsets never need.
    this.zone = opts.timezone === undefined ? null : new ZoneClock(opts.timezone);
    // Without a reference the year comes from the current time: callers that want a pure,
    // reproducible framer pass `year` or `referenceTime` (readInputs always does).
    this.years = new YearTracker(opts.year, opts.referenceTime ?? Date.now());
  }

  private get clock(): ZoneClock {
    return (this.zone ??= new ZoneClock(localTimeZone()));
  }

  frame(text: string, lineNo: number): FramedLine | null {
    return this.frameRange(text, 0, text.length, lineNo);
  }

  flush(): FramedLine | null {
    return null;
  }

  frameRange(s: string, start: number, end: number, lineNo: number): FramedLine | null {
    this.counts.lines++;
    try {
      return this.scan(s, start, end, lineNo);
    } catch {
      // Defensive only: the scanner is written not to throw.
      this.counts.malformed++;
      return null;
    }
  }

  private scan(s: string, start: number, end: number, lineNo: number): FramedLine | null {
    if (end > start && s.charCodeAt(end - 1) === CR) end--;
    if (end <= start) {
      this.counts.skipped++; // empty line
      return null;
    }
    const c0 = s.charCodeAt(start);
    if (c0 === SP || c0 === TAB) {
      // journalctl's continuation of a multi-line message: never a record of its own.
      this.counts.malformed++;
      return null;
    }
    if (c0 === DASH && s.charCodeAt(start + 1) === DASH && s.charCodeAt(start + 2) === SP) {
      this.counts.skipped++; // journalctl `-- Boot … --`, `-- No entries --`
      return null;
    }
    this.ts = null;
    let p = start;
    if (c0 === 64 /* @ */) {
      // svlogd's TAI64N label (socklog): `@4000000065a1b2c3d4e5f607 `; the syslog timestamp follows.
      if (end - start > 26 && s.charCodeAt(start + 25) === SP) p = start + 26;
      else return this.malformed();
    }
    const cp = s.charCodeAt(p);
    if (cp >= 97 && cp <= 122) {
      // socklog: `facility.level: ` before the timestamp.
      const fl = facilityLevelEnd(s, p, end);
      if (fl > 0 && s.charCodeAt(fl) === COLON && s.charCodeAt(fl + 1) === SP) p = fl + 2;
    }
    if (s.charCodeAt(p) === LT) {
      // <PRI>: RFC 5424 (`<38>1 `) or RFC 3164 as sent on the wire (`<38>Nov 21 …`)
      const p0 = p;
      let q = p0 + 1;
      while (q < end && q < p0 + 5 && isDigit(s.charCodeAt(q))) q++;
      if (q === p0 + 1 || s.charCodeAt(q) !== GT) return this.malformed();
      q++;
      if (s.charCodeAt(q) === 49 /* 1 */ && s.charCodeAt(q + 1) === SP) return this.scan5424(s, q + 2, end, lineNo);
      p = q;
    }
    const t = this.parseTimestamp(s, p, end);
    if (t > 0) p = t;
    const hadTimestamp = t > 0;
    while (p < end && s.charCodeAt(p) === SP) p++;
    if (hadTimestamp && s.charCodeAt(p) === LT) {
      // FreeBSD syslogd -v / -vv: `<10.5> ` or `<auth.info> ` between the time and the host.
      const gt = priorityNoteEnd(s, p, end);
      if (gt > 0) p = gt + 2;
    }

    // Token 1: the tag (no host) or the host. A tag ends in `:` or `]`; anything else is a host
    // (checked on the last character first, so the usual host token is not scanned).
    let tokEnd = s.indexOf(' ', p);
    if (tokEnd < 0 || tokEnd > end) tokEnd = end;
    let hostStart = -1, hostEnd = -1;
    const last = tokEnd > p ? s.charCodeAt(tokEnd - 1) : 0;
    let tag = last === COLON || last === RB ? this.tagAt(s, p, tokEnd) : 0;
    if (tag === 0) {
      hostStart = p;
      hostEnd = tokEnd;
      p = tokEnd + 1;
      if (p >= end) return hadTimestamp ? this.skipped() : this.malformed();
      tokEnd = s.indexOf(' ', p);
      if (tokEnd < 0 || tokEnd > end) tokEnd = end;
      if (tokEnd < end && facilityLevelEnd(s, p, tokEnd) === tokEnd) {
        // busybox syslogd: `host facility.level prog[pid]: `.
        p = tokEnd + 1;
        tokEnd = s.indexOf(' ', p);
        if (tokEnd < 0 || tokEnd > end) tokEnd = end;
      }
      // Other programs are rejected on their first letter, before the tag is read.
      const c = s.charCodeAt(p);
      if (c !== 115 /* s */ && c !== LB && c !== 47 /* / */) return hadTimestamp && hostEnd > hostStart ? this.skippedOther(s, p, tokEnd, end, lineNo) : this.malformed();
      tag = this.tagAt(s, p, tokEnd);
      if (tag === 0) return hadTimestamp && hostEnd > hostStart ? this.skipped() : this.malformed();
    }
    if (tag < 0) return this.malformed();
    // tag > 0: fields set by tagAt. An ident logged as a path (`/usr/lib/openssh/sshd-session[5]:`)
    // names the program by its last component.
    if (s.charCodeAt(this.nameStart) === 47 /* / */) this.nameStart = s.lastIndexOf('/', this.nameEnd - 1) + 1;
    if (!isSshdProgramAt(s, this.nameStart, this.nameEnd)) return this.skippedOther(s, this.nameStart, tokEnd, end, lineNo);
    let msgStart = tokEnd + 1;
    if (msgStart > end) msgStart = end;
    msgStart = skipSolarisId(s, msgStart, end);
    if (s.charCodeAt(msgStart) === 109 /* m */) {
      const inner = repeatedInner(s, msgStart, end);
      if (inner > 0) return this.emit(s, hostStart, hostEnd, inner, end - 1, lineNo);
    }
    return this.emit(s, hostStart, hostEnd, msgStart, end, lineNo);
  }

  // Tag fields (set by tagAt; avoids allocating a result object per line).
  private nameStart = 0;
  private nameEnd = 0;
  private pid: number | null = null;

  /**
   * Reads `prog[pid]:`, `prog:`, `[prog]:`, `prog[pid]` in `s[a, b)`. Returns 1 (a tag; fields
   * set), 0 (not a tag: a host name), -1 (looks like a tag but is broken).
   */
  private tagAt(s: string, a: number, b: number): number {
    if (b <= a) return 0;
    this.pid = null;
    if (s.charCodeAt(a) === LB) {
      // fail2ban's `[sshd]:` / `[sshd]`
      let j = a + 1;
      while (j < b && s.charCodeAt(j) !== RB) j++;
      if (j >= b || j === a + 1) return 0;
      if (j + 1 === b || (j + 2 === b && s.charCodeAt(j + 1) === COLON)) {
        this.nameStart = a + 1;
        this.nameEnd = j;
        return 1;
      }
      return 0;
    }
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      if (c === LB) {
        if (i === a) return 0;
        let j = i + 1, pid = 0;
        while (j < b && isDigit(s.charCodeAt(j))) {
          pid = pid * 10 + (s.charCodeAt(j) - ZERO);
          j++;
        }
        if (j >= b || s.charCodeAt(j) !== RB) return 0;
        if (!(j + 1 === b || (j + 2 === b && s.charCodeAt(j + 1) === COLON))) return 0;
        if (j === i + 1 || j - i - 1 > 10) return -1;
        this.nameStart = a;
        this.nameEnd = i;
        this.pid = pid;
        return 1;
      }
      if (c === COLON) {
        if (i === b - 1 && i > a) {
          this.nameStart = a;
          this.nameEnd = i;
          return 1;
        }
        return 0; // e.g. an IPv6 address as host name
      }
    }
    return 0;
  }

  /** Parses a timestamp at `p`; returns the index after it and its separating space, or 0. Sets this.ts. */
  private parseTimestamp(s: string, p: number, end: number): number {
    const c = s.charCodeAt(p);
    if (isDigit(c)) return this.parseIso(s, p, end, T_);
    const month = monthAt(s, p);
    if (month > 0 && s.charCodeAt(p + 3) === SP) return this.parse3164(s, p + 4, end, month);
    if (isWeekdayAt(s, p) && s.charCodeAt(p + 3) === SP) return this.parseShortFull(s, p + 4, end);
    return 0;
  }

  // Minute cache: consecutive lines mostly share month, day, hour and minute, so the minute's
  // UTC value is kept and only seconds and fraction are added per line (skips the date
  // arithmetic, year inference and zone lookup). A DST change happens on a minute boundary.
  private minuteKey = -1;
  private minuteMs = 0;

  /** `dd hh:mm:ss[.frac] ` after `Mmm `. */
  private parse3164(s: string, q: number, end: number, month: number): number {
    if (s.charCodeAt(q) === SP) q++;
    let day = s.charCodeAt(q) - ZERO;
    if (day < 0 || day > 9) return 0;
    q++;
    const d2 = s.charCodeAt(q) - ZERO;
    if (d2 >= 0 && d2 <= 9) {
      day = day * 10 + d2;
      q++;
    }
    if (s.charCodeAt(q) !== SP) return 0;
    q++;
    const h = twoDigits(s, q), mi = twoDigits(s, q + 3), sec = twoDigits(s, q + 6);
    if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(q + 2) !== COLON || s.charCodeAt(q + 5) !== COLON) return 0;
    q += 8;
    const ms = this.fraction(s, q, end);
    q = this.fracEnd;
    if (q >= end || s.charCodeAt(q) !== SP) return 0;
    if (day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60) return 0;
    const key = ((month * 32 + day) * 24 + h) * 60 + mi;
    if (key !== this.minuteKey) {
      const year = this.years.yearFor(month, day);
      this.minuteMs = this.clock.toUtc(wallMs(year, month, day, h, mi, 0, 0));
      this.minuteKey = key;
    }
    this.ts = this.minuteMs + sec * 1000 + ms;
    return q + 1;
  }

  private fracEnd = 0;
  /** Reads `.ddd…` at q (milliseconds from the first three digits); sets fracEnd. */
  private fraction(s: string, q: number, end: number): number {
    let ms = 0;
    if (s.charCodeAt(q) === DOT && isDigit(s.charCodeAt(q + 1))) {
      q++;
      let n = 0;
      while (q < end && isDigit(s.charCodeAt(q))) {
        if (n < 3) ms = ms * 10 + (s.charCodeAt(q) - ZERO);
        n++;
        q++;
      }
      while (n < 3) {
        ms *= 10;
        n++;
      }
    }
    this.fracEnd = q;
    return ms;
  }

  /** `YYYY-MM-DD<sep>hh:mm:ss[.frac][Z|±hh:mm|±hhmm]` then a space (or end, for 5424 nil-free use). */
  private parseIso(s: string, q: number, end: number, sep: number): number {
    const y = fourDigits(s, q);
    if (y < 0 || s.charCodeAt(q + 4) !== DASH || s.charCodeAt(q + 7) !== DASH) return 0;
    const mo = twoDigits(s, q + 5), d = twoDigits(s, q + 8);
    const sc = s.charCodeAt(q + 10);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || (sc !== sep && sc !== SP)) return 0;
    q += 11;
    const h = twoDigits(s, q), mi = twoDigits(s, q + 3), sec = twoDigits(s, q + 6);
    if (h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 60 || s.charCodeAt(q + 2) !== COLON || s.charCodeAt(q + 5) !== COLON) return 0;
    q += 8;
    const ms = this.fraction(s, q, end);
    q = this.fracEnd;
    const wall = wallMs(y, mo, d, h, mi, sec, ms);
    const z = s.charCodeAt(q);
    if (z === Z_ || z === z_) {
      this.ts = wall;
      q++;
    } else if (z === PLUS || z === DASH) {
      const oh = twoDigits(s, q + 1);
      let om: number;
      if (s.charCodeAt(q + 3) === COLON) {
        om = twoDigits(s, q + 4);
        q += 6;
      } else {
        om = twoDigits(s, q + 3);
        q += 5;
      }
      if (oh < 0 || om < 0) return 0;
      const off = (oh * 60 + om) * 60_000;
      this.ts = z === PLUS ? wall - off : wall + off;
    } else {
      this.ts = this.clock.toUtc(wall);
    }
    if (q >= end || s.charCodeAt(q) !== SP) return 0;
    return q + 1;
  }

  /** journalctl short-full after the weekday: `2026-11-21 20:18:06[.frac] ZONE `. */
  private parseShortFull(s: string, q: number, end: number): number {
    const r = this.parseIso(s, q, end, SP);
    if (r === 0) return 0;
    // parseIso read the zone-less time in the configured zone; the zone name follows.
    let zEnd = s.indexOf(' ', r);
    if (zEnd < 0 || zEnd > end) return 0;
    const zlen = zEnd - r;
    if (zlen === 0 || zlen > 40) return 0;
    if (zlen === 3 && (s.startsWith('UTC', r) || s.startsWith('GMT', r)) && !this.clock.isUtc) {
      // Printed in UTC although our zone differs: read the same wall time as UTC.
      const wall = this.recomputeWall(s, q);
      if (wall !== null) this.ts = wall;
    }
    // Other zone abbreviations (CET, EST, …) are ambiguous; the configured zone (local, or
    // --timezone) is used, which is the zone journalctl printed on the machine that wrote it.
    return zEnd + 1;
  }

  private recomputeWall(s: string, q: number): number | null {
    const y = fourDigits(s, q), mo = twoDigits(s, q + 5), d = twoDigits(s, q + 8);
    const h = twoDigits(s, q + 11), mi = twoDigits(s, q + 14), sec = twoDigits(s, q + 17);
    const ms = this.fraction(s, q + 19, s.length);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return null;
    return wallMs(y, mo, d, h, mi, sec, ms);
  }

  /** RFC 5424 after `<PRI>1 `: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG. */
  private scan5424(s: string, p: number, end: number, lineNo: number): FramedLine | null {
    this.ts = null;
    if (s.charCodeAt(p) === DASH && s.charCodeAt(p + 1) === SP) p += 2;
    else {
      const t = this.parseIso(s, p, end, T_);
      if (t === 0) return this.malformed();
      p = t;
    }
    const hostStart = p;
    let q = s.indexOf(' ', p);
    if (q < 0 || q >= end) return this.malformed();
    const hostEnd = q;
    const appStart = q + 1;
    q = s.indexOf(' ', appStart);
    if (q < 0 || q >= end) return this.malformed();
    const appEnd = q;
    if (!isSshdProgramAt(s, appStart, appEnd)) return this.skipped();
    const pidStart = q + 1;
    q = s.indexOf(' ', pidStart);
    if (q < 0 || q >= end) return this.malformed();
    let pid: number | null = null;
    if (!(q - pidStart === 1 && s.charCodeAt(pidStart) === DASH)) {
      let v = 0;
      for (let i = pidStart; i < q; i++) {
        const c = s.charCodeAt(i);
        if (!isDigit(c)) return this.malformed();
        v = v * 10 + (c - ZERO);
      }
      if (q - pidStart > 10 || q === pidStart) return this.malformed();
      pid = v;
    }
    // MSGID
    q = s.indexOf(' ', q + 1);
    if (q < 0 || q >= end) return this.malformed();
    p = q + 1;
    // STRUCTURED-DATA: `-` or [..][..] with quoted values (`\]`, `\"` escapes).
    if (s.charCodeAt(p) === DASH) p++;
    else if (s.charCodeAt(p) === LB) {
      while (p < end && s.charCodeAt(p) === LB) {
        p++;
        let inQuote = false;
        while (p < end) {
          const c = s.charCodeAt(p);
          if (c === 92 /* \ */ && inQuote) p += 2;
          else if (c === 34 /* " */) {
            inQuote = !inQuote;
            p++;
          } else if (c === RB && !inQuote) break;
          else p++;
        }
        if (p >= end) return this.malformed();
        p++;
      }
    } else return this.malformed();
    if (p < end && s.charCodeAt(p) === SP) p++;
    // rsyslog's RSYSLOG_SyslogProtocol23Format writes `%STRUCTURED-DATA% %msg%`, and %msg% keeps
    // the space that followed the tag's colon: one more space belongs to the envelope.
    if (p < end && s.charCodeAt(p) === SP) p++;
    if (p < end && s.charCodeAt(p) === 0xfeff) p++; // BOM
    this.nameStart = appStart;
    this.nameEnd = appEnd;
    this.pid = pid;
    const nil = hostEnd - hostStart === 1 && s.charCodeAt(hostStart) === DASH;
    return this.emit(s, nil ? -1 : hostStart, nil ? -1 : hostEnd, p, end, lineNo);
  }

  private emit(s: string, hostStart: number, hostEnd: number, msgStart: number, msgEnd: number, lineNo: number): FramedLine {
    let host: string | null = null;
    if (hostStart >= 0 && hostEnd > hostStart) {
      const last = this.lastHost;
      if (last !== null && last.length === hostEnd - hostStart && s.startsWith(last, hostStart)) host = last;
      else host = this.lastHost = ownString(s.slice(hostStart, hostEnd));
    }
    this.counts.framed++;
    const ts = this.ts;
    return {
      ts: ts !== null && Number.isFinite(ts) ? ts : null,
      host,
      program: programNameAt(s, this.nameStart, this.nameEnd),
      pid: this.pid,
      // A view into the reader's decoded piece (~64 KiB), not a copy: the engine copies the few
      // strings it keeps for long (framing/own-string.ts), which is cheaper than a copy per line.
      message: s.slice(msgStart, msgEnd),
      file: this.file,
      line: lineNo,
    };
  }

  private malformed(): null {
    this.counts.malformed++;
    return null;
  }

  private skipped(): null {
    this.counts.skipped++;
    return null;
  }

  /**
   * Another program's line (its tag at `s[tagStart, tagEnd)`): skipped, but counted apart when
   * its message reads like sshd's, so the report can say so (a renamed sshd is not "nothing").
   */
  private skippedOther(s: string, tagStart: number, tagEnd: number, end: number, lineNo: number): null {
    this.counts.skipped++;
    let m = tagEnd + 1;
    if (m < end && s.charCodeAt(m) === SP) m++;
    if (m < end && looksLikeSshdMessage(s, m, end)) {
      const c = this.counts;
      c.sshdLike++;
      if (c.sshdLikeExample === null) {
        let nameEnd = tagStart;
        while (nameEnd < tagEnd && s.charCodeAt(nameEnd) !== LB && s.charCodeAt(nameEnd) !== COLON) nameEnd++;
        c.sshdLikeExample = { line: lineNo, program: s.slice(tagStart, nameEnd), text: s.slice(tagStart, Math.min(end, tagStart + 200)) };
      }
    }
    return null;
  }
}

/**
 * rsyslog's RepeatedMsgReduction (on in Ubuntu's default rsyslog.conf) writes a message that
 * the same program[pid] repeated as `message repeated 3 times: [ <message>]`. The record is
 * delivered once with the inner message (FramedLine has no repeat count; the engine sees the
 * event one more time, not N). Returns the inner message's start, or 0.
 */
function repeatedInner(s: string, p: number, end: number): number {
  if (!s.startsWith('message repeated ', p)) return 0;
  let q = p + 17;
  const d0 = q;
  while (q < end && isDigit(s.charCodeAt(q))) q++;
  if (q === d0 || !s.startsWith(' times: [ ', q) || s.charCodeAt(end - 1) !== RB) return 0;
  q += 10;
  return q < end - 1 ? q : 0;
}

/** Solaris/illumos syslog puts `[ID 800047 auth.info] ` before the message: part of the envelope. */
function skipSolarisId(s: string, p: number, end: number): number {
  if (s.charCodeAt(p) !== LB || s.charCodeAt(p + 1) !== 73 /* I */ || s.charCodeAt(p + 2) !== 68 /* D */ || s.charCodeAt(p + 3) !== SP) return p;
  let q = p + 4;
  const d0 = q;
  while (q < end && isDigit(s.charCodeAt(q))) q++;
  if (q === d0 || s.charCodeAt(q) !== SP) return p;
  q++;
  const lim = Math.min(end, q + 40);
  while (q < lim && s.charCodeAt(q) !== RB && s.charCodeAt(q) !== SP) q++;
  if (s.charCodeAt(q) !== RB || s.charCodeAt(q + 1) !== SP) return p;
  return q + 2;
}

/**
 * Syslog facility names (RFC 5424 table and the BSD aliases) and level names, as busybox
 * syslogd, socklog and FreeBSD syslogd -vv print them: `auth.info`, `local7.debug`.
 */
const FACILITY_LEVEL =
  /(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|ntp|security|console|solaris-cron|mark|local[0-7])\.(?:emerg|panic|alert|crit|err|error|warning|warn|notice|info|debug|none|\*)/y;

/** End of a `facility.level` token at `p` (index after it), or 0. No allocation (sticky test). */
function facilityLevelEnd(s: string, p: number, end: number): number {
  const c = s.charCodeAt(p);
  if (c < 97 || c > 117) return 0; // a..u: the first letters of the facility names
  FACILITY_LEVEL.lastIndex = p;
  if (!FACILITY_LEVEL.test(s)) return 0;
  const q = FACILITY_LEVEL.lastIndex;
  return q <= end ? q : 0;
}

/** FreeBSD syslogd -v: `<10.5>` / `<auth.info>` at `p` followed by a space; returns the index of `>`, or 0. */
function priorityNoteEnd(s: string, p: number, end: number): number {
  const lim = Math.min(end - 1, p + 24);
  let dot = false;
  for (let q = p + 1; q < lim; q++) {
    const c = s.charCodeAt(q);
    if (c === GT) return dot && q > p + 2 && s.charCodeAt(q + 1) === SP ? q : 0;
    if (c === DOT) dot = true;
    else if (!(isDigit(c) || (c >= 97 && c <= 122) || c === DASH)) return 0;
  }
  return 0;
}
