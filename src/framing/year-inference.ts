/**
 * Year inference for RFC 3164 / journalctl short timestamps, which carry no year.
 * The first timestamp gets the explicit `year`, else the reference time's year, minus one when
 * its month is later than the reference month (a file's mtime is after its lines). Within one
 * input, a month that goes back by two or more (Dec → Jan, Nov → Feb) starts the next year; a
 * one-month step back (a late Nov line after Dec 1) is taken as an out-of-order line instead.
 */
export class YearTracker {
  private year: number;
  private prevMonth = 0;
  private readonly refYear: number;
  private readonly refMonth: number;
  private readonly fixedStart: boolean;

  /** `reference` is UTC ms; `explicitYear` wins when given. */
  constructor(explicitYear: number | undefined, reference: number) {
    const d = new Date(Number.isFinite(reference) ? reference : 0);
    this.refYear = d.getUTCFullYear();
    this.refMonth = d.getUTCMonth() + 1;
    this.fixedStart = explicitYear !== undefined;
    this.year = explicitYear ?? this.refYear;
  }

  /** Year for a line with `month` (1-12), updating the state. */
  yearFor(month: number): number {
    if (this.prevMonth === 0) {
      if (!this.fixedStart && month > this.refMonth) this.year = this.refYear - 1;
    } else if (this.prevMonth - month >= 2) {
      this.year++;
    }
    this.prevMonth = month;
    return this.year;
  }
}
