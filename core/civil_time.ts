/**
 * Calendar arithmetic without Date objects, and the zones that turn a wall-clock time into an
 * instant. A wall-clock time is kept as "wall ms": milliseconds since 1970-01-01T00:00 of that wall
 * clock, as if it were UTC; a zone maps it to epoch ms.
 */

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1–12), for any year. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1] ?? 0;
}

/** The last day wallMs computed (lines in a row share their day): its key and days. */
let lastDayKey = NaN;
let lastDays = 0;

/**
 * Wall ms of a date and time, or NaN when a part is out of range (a second of 60, a leap second,
 * is allowed and counts as the next minute's first).
 */
export function wallMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  if (
    month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60
  ) return NaN;
  // One key per date, given the bounds above.
  const key = (year * 16 + month) * 32 + day;
  let days = lastDays;
  if (key !== lastDayKey) {
    if (day > daysInMonth(year, month)) return NaN;
    days = lastDays = daysFromCivil(year, month, day);
    lastDayKey = key;
  }
  return days * MS_PER_DAY + hour * MS_PER_HOUR + minute * MS_PER_MINUTE + second * MS_PER_SECOND +
    ms;
}

/** The year of a wall ms. */
export function yearOfWall(wall: number): number {
  return new Date(wall).getUTCFullYear();
}

/** Maps wall-clock times to instants and back. */
export interface TimeZone {
  /** The epoch ms of a wall ms (a time in a skipped DST hour lands somewhere in that hour). */
  toEpoch(wall: number): number;
  /** The wall ms of an epoch ms. */
  toWall(epoch: number): number;
}

/** A zone at a fixed offset east of UTC. */
export function fixedZone(offsetMinutes: number): TimeZone {
  const offset = offsetMinutes * MS_PER_MINUTE;
  return { toEpoch: (wall) => wall - offset, toWall: (epoch) => epoch + offset };
}

export const UTC: TimeZone = fixedZone(0);

/**
 * The process's local zone (TZ). Offsets change only on whole hours in practice, so the offset of
 * the last wall hour asked for is kept: lines of a log are mostly in the same hour, and a Date per
 * line would cost more than the rest of a line's time.
 */
class LocalZone implements TimeZone {
  #hour = NaN;
  #offset = 0;

  toEpoch(wall: number): number {
    const hour = Math.floor(wall / MS_PER_HOUR);
    if (hour !== this.#hour) {
      const start = hour * MS_PER_HOUR;
      const utc = new Date(start);
      const local = new Date(2000, 0, 1);
      local.setFullYear(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate());
      local.setHours(utc.getUTCHours(), 0, 0, 0);
      this.#offset = start - local.getTime();
      this.#hour = hour;
    }
    return wall - this.#offset;
  }

  toWall(epoch: number): number {
    return epoch - new Date(epoch).getTimezoneOffset() * MS_PER_MINUTE;
  }
}

export const LOCAL: TimeZone = new LocalZone();

/**
 * The wall ms of a time given without a year: the latest such time that is at most a day after
 * `nowWall` (a log read in January has December's lines from last year; a day of slack for a
 * clock or zone a little ahead). NaN for a date that does not exist in that year (29 February).
 */
export function wallWithoutYear(
  nowWall: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  const year = yearOfWall(nowWall);
  const t = wallMs(year, month, day, hour, minute, second, ms);
  if (t <= nowWall + MS_PER_DAY) return t;
  return wallMs(year - 1, month, day, hour, minute, second, ms);
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
  .map((m) => (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2));

/** The month (1–12) of a three-letter abbreviation at i, any case, or -1. */
export function monthAt(b: Uint8Array, i: number): number {
  const key = ((b[i]! | 32) << 16) | ((b[i + 1]! | 32) << 8) | (b[i + 2]! | 32);
  const m = MONTHS.indexOf(key);
  return m < 0 ? -1 : m + 1;
}

/** The digit at i, or -1 (also past the array). */
export function dig(b: Uint8Array, i: number): number {
  const d = b[i]! - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The two-digit number at i, or -1. (No calls: cold code, a --since seek, runs it too.) */
export function num2(b: Uint8Array, i: number): number {
  const a = b[i]! - 48;
  const c = b[i + 1]! - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

/** The four-digit number at i, or -1. */
export function num4(b: Uint8Array, i: number): number {
  const a = b[i]! - 48;
  const c = b[i + 1]! - 48;
  const d = b[i + 2]! - 48;
  const e = b[i + 3]! - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 && d >= 0 && d <= 9 && e >= 0 && e <= 9
    ? a * 1000 + c * 100 + d * 10 + e
    : -1;
}
