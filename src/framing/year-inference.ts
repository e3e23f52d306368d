/**
 * Year inference for RFC 3164 / journalctl short timestamps, which carry no year.
 * The first timestamp gets the explicit `year`, else the reference time's year, minus one when
 * its date is later than the reference date by more than a day (a file's mtime, or the time stdin
 * is read, is after its lines: `Dec 31` read on Dec 5 is last year's; a day of slack for time zones). Within one
 * input, a month that goes back by two or more (Dec → Jan, Nov → Feb) starts the next year; a
 * one-month step back (a late Nov line after Dec 1) is taken as an out-of-order line instead.
 */
export class YearTracker {
  private year: number;
  private prevMonth = 0;
  private readonly refYear: number;
  private readonly refMonth: number;
  private readonly refDay: number;
  private readonly fixedStart: boolean;

  /** `reference` is UTC ms; `explicitYear` wins when given. */
  constructor(explicitYear: number | undefined, reference: number) {
    const d = new Date(Number.isFinite(reference) ? reference : 0);
    this.refYear = d.getUTCFullYear();
    this.refMonth = d.getUTCMonth() + 1;
    this.refDay = d.getUTCDate();
    this.fixedStart = explicitYear !== undefined;
    this.year = explicitYear ?? this.refYear;
  }

  /** Year for a line with `month` (1-12) and `day` (1-31; absent: the month alone decides), updating the state. */
  yearFor(month: number, day = 1): number {
    if (this.prevMonth === 0) {
      if (!this.fixedStart && (month > this.refMonth || (month === this.refMonth && day > this.refDay + 1))) this.year = this.refYear - 1;
    } else if (this.prevMonth - month >= 2) {
      this.year++;
    }
    this.prevMonth = month;
    return this.year;
  }
}
