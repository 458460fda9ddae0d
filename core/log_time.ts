/**
 * The time of a log line, read from its raw bytes (nothing is decoded): epoch ms, or NaN when the
 * line has none. For `--since`/`--until` and time buckets.
 *
 * Layouts, tried in this order when a line's layout is not known:
 * 1. DTail's default format at the line start: `LEVEL|YYYYMMDD-HHMMSS|…` or dserver's own
 *    `LEVEL|MMDD-HHMMSS|…` (no year: see wallWithoutYear);
 * 2. RFC 3339 / ISO 8601 at the line start (after blanks and `[`): `2026-12-03T10:00:00Z`,
 *    `2026-12-03 10:00:00,123`, `2026/12/03 10:00:00`, with or without seconds, fraction and zone;
 *    or the common log format's `[03/Dec/2026:10:00:00 +0000]`;
 * 3. syslog's `Dec  3 10:00:00` at the line start, after an optional `<priority>` (no year);
 * 4. JSON (a line starting with `{`): the first of the keys `time`, `ts`, `timestamp`,
 *    `@timestamp`, `datetime`, `date`, `t` whose value is such a time, or epoch s/ms/µs/ns;
 * 5. logfmt: the same keys as `key=value` at the start or after a blank (value quoted or not);
 * 6. an ISO or common-log time anywhere in the first SCAN_WINDOW bytes.
 *
 * A LineTimes keeps the layout that last worked (with its offset or key) and tries it first: a
 * file's lines mostly share one, so a line costs one parse at a known place. Only when that fails
 * is the whole order tried on that line (an untimed line, a stack trace, costs that search).
 * Times without a zone are in the zone given (default: the process's local zone). A configured
 * layout (time_layout.ts) replaces the built-in ones.
 */
import {
  dig,
  LOCAL,
  monthAt,
  MS_PER_SECOND,
  num2,
  num4,
  type TimeZone,
  wallMs,
  wallWithoutYear,
} from "./civil_time.ts";
import type { TimeLayout } from "./time_layout.ts";

/** How far into a line a time is looked for anywhere (layout 6, a configured layout). */
export const SCAN_WINDOW = 256;
/** How far into a line the JSON and logfmt keys are looked for (layouts 4, 5). */
export const KEY_WINDOW = 1024;

export interface LineTimeOptions {
  /** Now, epoch ms: the year of times that have none. Default: Date.now() at construction. */
  readonly now?: number;
  /** The zone of times without an offset. Default: the process's local zone. */
  readonly zone?: TimeZone;
  /**
   * A configured layout (time_layout.ts): the only one tried, at the first place in the first
   * SCAN_WINDOW bytes where it reads a time (the last such place is tried first).
   */
  readonly layout?: TimeLayout;
}

const NONE = 0;
const DEFAULT = 1;
const ISO = 2;
const CLF = 3;
const SYSLOG = 4;
const JSON_KEY = 5;
const LOGFMT_KEY = 6;
const CONFIGURED = 7;
const LAYOUT_NAMES = [
  "none",
  "default",
  "iso",
  "clf",
  "syslog",
  "json",
  "logfmt",
  "configured",
] as const;
export type LayoutName = typeof LAYOUT_NAMES[number];

const KEYS = ["time", "ts", "timestamp", "@timestamp", "datetime", "date", "t"].map((k) =>
  new TextEncoder().encode(k)
);

const LONGEST_KEY = Math.max(...KEYS.map((k) => k.length));

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const COLON = 58;
const LT = 60;
const EQUALS = 61;
const GT = 62;
const BRACKET = 91;
const BAR = 124;
const BRACE = 123;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isWordByte(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * The time parsers on bytes. Each returns epoch ms or NaN and leaves in `end` where the time it
 * read ends. Shared with time_spec.ts, which parses a flag's value with them.
 */
export class TimeParsers {
  /** Where the last successful parse ended. */
  end = 0;
  readonly zone: TimeZone;
  readonly nowWall: number;

  constructor(options: LineTimeOptions = {}) {
    this.zone = options.zone ?? LOCAL;
    this.nowWall = this.zone.toWall(options.now ?? Date.now());
  }

  /**
   * RFC 3339 / ISO 8601 at p: `YYYY-MM-DD` (or `/`), then `T`, `t` or a space and `HH:MM`, then
   * optional `:SS`, a fraction after `.` or `,`, and a zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`).
   * `dateOnly`: the time may be missing (midnight).
   */
  iso(b: Uint8Array, p: number, limit: number, dateOnly = false): number {
    if (limit - p < 10) return NaN;
    const year = num4(b, p);
    const sep = b[p + 4];
    if (year < 0 || (sep !== MINUS && sep !== SLASH) || b[p + 7] !== sep) return NaN;
    const month = num2(b, p + 5);
    const day = num2(b, p + 8);
    if (month < 0 || day < 0) return NaN;
    let q = p + 10;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let ms = 0;
    const t = b[q];
    if (q + 6 <= limit && (t === 84 || t === 116 || t === SPACE) && b[q + 3] === COLON) {
      hour = num2(b, q + 1);
      minute = num2(b, q + 4);
      if (hour < 0 || minute < 0) return NaN;
      q += 6;
      if (q + 3 <= limit && b[q] === COLON && (second = num2(b, q + 1)) >= 0) {
        q += 3;
        if (q + 1 < limit && (b[q] === DOT || b[q] === COMMA) && dig(b, q + 1) >= 0) {
          q = this.#fraction(b, q + 1, limit);
          ms = this.#ms;
        }
      } else second = 0;
    } else if (!dateOnly) return NaN;
    const wall = wallMs(year, month, day, hour, minute, second, ms);
    return this.#zoned(b, q, limit, wall);
  }

  /** The common log format's `dd/Mmm/yyyy:HH:MM:SS` at p, then an optional ` ±HHMM`. */
  clf(b: Uint8Array, p: number, limit: number): number {
    if (limit - p < 20 || b[p + 2] !== SLASH || b[p + 6] !== SLASH || b[p + 11] !== COLON) {
      return NaN;
    }
    const day = num2(b, p);
    const month = monthAt(b, p + 3);
    const year = num4(b, p + 7);
    const hour = num2(b, p + 12);
    const minute = num2(b, p + 15);
    const second = num2(b, p + 18);
    if (
      day < 0 || month < 0 || year < 0 || hour < 0 || minute < 0 || second < 0 ||
      b[p + 14] !== COLON || b[p + 17] !== COLON
    ) return NaN;
    const wall = wallMs(year, month, day, hour, minute, second, 0);
    let q = p + 20;
    if (q + 5 < limit && b[q] === SPACE && (b[q + 1] === PLUS || b[q + 1] === MINUS)) q++;
    return this.#zoned(b, q, limit, wall);
  }

  /** DTail's `YYYYMMDD-HHMMSS` or `MMDD-HHMMSS` at p, ending at `limit` or a `|`. */
  dtail(b: Uint8Array, p: number, limit: number): number {
    let wall = NaN;
    let q = p;
    if (limit - p >= 15 && b[p + 8] === MINUS) {
      const year = num4(b, p);
      const month = num2(b, p + 4);
      const day = num2(b, p + 6);
      const hour = num2(b, p + 9);
      const minute = num2(b, p + 11);
      const second = num2(b, p + 13);
      if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NaN;
      wall = wallMs(year, month, day, hour, minute, second, 0);
      q = p + 15;
    } else if (limit - p >= 11 && b[p + 4] === MINUS) {
      const month = num2(b, p);
      const day = num2(b, p + 2);
      const hour = num2(b, p + 5);
      const minute = num2(b, p + 7);
      const second = num2(b, p + 9);
      if (month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return NaN;
      wall = wallWithoutYear(this.nowWall, month, day, hour, minute, second, 0);
      q = p + 11;
    } else return NaN;
    if (q < limit && b[q] !== BAR) return NaN;
    this.end = q;
    return this.zone.toEpoch(wall);
  }

  /** syslog's `Mmm dd HH:MM:SS` (day space-padded, two digits or one) at p. */
  syslog(b: Uint8Array, p: number, limit: number): number {
    if (limit - p < 14 || b[p + 3] !== SPACE) return NaN;
    const month = monthAt(b, p);
    if (month < 0) return NaN;
    let q = p + 4;
    let day: number;
    if (b[q] === SPACE) {
      day = dig(b, q + 1);
      q += 2;
    } else if ((day = num2(b, q)) >= 0) q += 2;
    else if ((day = dig(b, q)) >= 0) q += 1;
    if (day < 0 || q + 9 > limit || b[q] !== SPACE || b[q + 3] !== COLON || b[q + 6] !== COLON) {
      return NaN;
    }
    const hour = num2(b, q + 1);
    const minute = num2(b, q + 4);
    const second = num2(b, q + 7);
    if (hour < 0 || minute < 0 || second < 0) return NaN;
    q += 9;
    let ms = 0;
    if (q + 1 < limit && b[q] === DOT && dig(b, q + 1) >= 0) {
      q = this.#fraction(b, q + 1, limit);
      ms = this.#ms;
    }
    this.end = q;
    return this.zone.toEpoch(wallWithoutYear(this.nowWall, month, day, hour, minute, second, ms));
  }

  /**
   * Epoch seconds, ms, µs or ns at p, told apart by the integer part's digits (9–11, 12–14,
   * 15–17, 18–19; fewer than 9 is not taken for a time), with an optional fraction.
   */
  epoch(b: Uint8Array, p: number, limit: number): number {
    let q = p;
    let value = 0;
    while (q < limit && dig(b, q) >= 0) value = value * 10 + dig(b, q++);
    const digits = q - p;
    if (digits < 9 || digits > 19) return NaN;
    // The fraction's first three digits, as an integer: ms of epoch seconds, exactly.
    let fractionMs = 0;
    if (q + 1 < limit && b[q] === DOT && dig(b, q + 1) >= 0) q = this.#fraction(b, q + 1, limit);
    if (q > p + digits) fractionMs = this.#ms;
    if (q < limit && isWordByte(b[q]!)) return NaN;
    this.end = q;
    if (digits <= 11) return value * 1000 + fractionMs;
    if (digits <= 14) return value;
    return Math.floor(value / (digits <= 17 ? 1e3 : 1e6));
  }

  #ms = 0;

  /** Reads fraction digits from p; the first three make #ms. Returns the end. */
  #fraction(b: Uint8Array, p: number, limit: number): number {
    let ms = 0;
    let q = p;
    for (; q < limit; q++) {
      const d = b[q]! - 48;
      if (d < 0 || d > 9) break;
      if (q - p < 3) ms = ms * 10 + d;
    }
    const digits = q - p;
    this.#ms = digits >= 3 ? ms : digits === 2 ? ms * 10 : ms * 100;
    return q;
  }

  /** The epoch ms of `wall`, with the zone at q if there is one (else this.zone); sets end. */
  #zoned(b: Uint8Array, q: number, limit: number, wall: number): number {
    const c = b[q];
    if (q < limit && (c === 90 || c === 122)) {
      this.end = q + 1;
      return wall;
    }
    if (q + 2 < limit && (c === PLUS || c === MINUS)) {
      const hours = num2(b, q + 1);
      if (hours >= 0) {
        let minutes = 0;
        let e = q + 3;
        if (e + 2 < limit && b[e] === COLON && num2(b, e + 1) >= 0) {
          minutes = num2(b, e + 1);
          e += 3;
        } else if (e + 1 < limit && num2(b, e) >= 0) {
          minutes = num2(b, e);
          e += 2;
        }
        if (hours > 23 || minutes > 59) return NaN;
        this.end = e;
        const offset = (hours * 60 + minutes) * 60 * MS_PER_SECOND;
        return c === PLUS ? wall - offset : wall + offset;
      }
    }
    this.end = q;
    return this.zone.toEpoch(wall);
  }
}

/** Reads the times of one file's lines (or one stream's); keeps the layout that last worked. */
export class LineTimes {
  readonly #p: TimeParsers;
  readonly #configured: TimeLayout | null;
  #layout = NONE;
  /** ISO, CLF: offset from the line start; JSON_KEY, LOGFMT_KEY: index in KEYS. */
  #at = 0;

  constructor(options: LineTimeOptions = {}) {
    this.#p = new TimeParsers(options);
    this.#configured = options.layout ?? null;
  }

  /** The layout that last worked ("none" before any). */
  get layout(): LayoutName {
    return LAYOUT_NAMES[this.#layout]!;
  }

  /** The time of the line `bytes[start, end)` (without its line end), or NaN. */
  timeOf(bytes: Uint8Array, start: number, end: number): number {
    const t = this.#known(bytes, start, end);
    return t === t ? t : this.#detect(bytes, start, end);
  }

  #known(b: Uint8Array, start: number, end: number): number {
    const p = this.#p;
    switch (this.#layout) {
      case DEFAULT:
        return this.#default(b, start, end);
      case ISO:
        return p.iso(b, start + this.#at, end);
      case CLF:
        return p.clf(b, start + this.#at, end);
      case SYSLOG:
        return p.syslog(b, start + this.#at, end);
      case JSON_KEY:
        return this.#jsonKey(b, start, end, this.#at);
      case LOGFMT_KEY:
        return this.#logfmtKey(b, start, end, this.#at);
      case CONFIGURED:
        return this.#configured!.parse(b, start + this.#at, end, p);
      default:
        return NaN;
    }
  }

  #use(layout: number, at: number, t: number): number {
    this.#layout = layout;
    this.#at = at;
    return t;
  }

  #detect(b: Uint8Array, start: number, end: number): number {
    const p = this.#p;
    const configured = this.#configured;
    if (configured !== null) {
      const stop = Math.min(end, start + SCAN_WINDOW);
      for (let q = start; q < stop; q++) {
        const t = configured.parse(b, q, end, p);
        if (t === t) return this.#use(CONFIGURED, q - start, t);
      }
      return NaN;
    }
    let t = this.#default(b, start, end);
    if (t === t) return this.#use(DEFAULT, 0, t);
    let s = start;
    while (s < end && (b[s] === SPACE || b[s] === TAB || b[s] === BRACKET)) s++;
    if ((t = p.iso(b, s, end)) === t) return this.#use(ISO, s - start, t);
    if ((t = p.clf(b, s, end)) === t) return this.#use(CLF, s - start, t);
    s = start;
    if (b[s] === LT) {
      let q = s + 1;
      while (q < end && q - s < 5 && dig(b, q) >= 0) q++;
      if (b[q] === GT) s = q + 1;
    }
    if ((t = p.syslog(b, s, end)) === t) return this.#use(SYSLOG, s - start, t);
    s = start;
    while (s < end && (b[s] === SPACE || b[s] === TAB)) s++;
    if (b[s] === BRACE) {
      for (let k = 0; k < KEYS.length; k++) {
        if ((t = this.#jsonKey(b, s, end, k)) === t) return this.#use(JSON_KEY, k, t);
      }
    }
    if ((t = this.#anyLogfmtKey(b, start, end)) === t) return this.#use(LOGFMT_KEY, this.#key, t);
    const stop = Math.min(end, start + SCAN_WINDOW);
    for (let q = start; q < stop; q++) {
      if (dig(b, q) < 0 || (q > start && dig(b, q - 1) >= 0)) continue;
      if ((t = p.iso(b, q, end)) === t) return this.#use(ISO, q - start, t);
      if ((t = p.clf(b, q, end)) === t) return this.#use(CLF, q - start, t);
    }
    return NaN;
  }

  /** `LEVEL|time|` at the line start (LEVEL: 1–16 letters). */
  #default(b: Uint8Array, start: number, end: number): number {
    let q = start;
    const stop = Math.min(end, start + 16);
    while (q < stop && isLetter(b[q]!)) q++;
    if (q === start || q === end || b[q] !== BAR) return NaN;
    return this.#p.dtail(b, q + 1, end);
  }

  /** The value of JSON key KEYS[k] (`"key": value`) in the first KEY_WINDOW bytes, as a time. */
  #jsonKey(b: Uint8Array, start: number, end: number, k: number): number {
    const key = KEYS[k]!;
    const stop = Math.min(end, start + KEY_WINDOW) - key.length - 2;
    for (let q = start; q < stop; q++) {
      if (b[q] !== QUOTE || b[q + key.length + 1] !== QUOTE || !matches(b, q + 1, key)) continue;
      let v = q + key.length + 2;
      while (v < end && (b[v] === SPACE || b[v] === TAB)) v++;
      if (b[v] !== COLON) continue;
      v++;
      while (v < end && (b[v] === SPACE || b[v] === TAB)) v++;
      const t = this.#value(b, v, end);
      if (t === t) return t;
    }
    return NaN;
  }

  /** The value of logfmt key KEYS[k] (`key=value`, at the start or after a blank), as a time. */
  #logfmtKey(b: Uint8Array, start: number, end: number, k: number): number {
    const key = KEYS[k]!;
    const stop = Math.min(end, start + KEY_WINDOW) - key.length - 1;
    for (let q = start; q < stop; q++) {
      if (q > start && b[q - 1] !== SPACE && b[q - 1] !== TAB) continue;
      if (b[q + key.length] !== EQUALS || !matches(b, q, key)) continue;
      const t = this.#value(b, q + key.length + 1, end);
      if (t === t) return t;
    }
    return NaN;
  }

  /** The key of the last #anyLogfmtKey that found a time. */
  #key = 0;

  /** The first logfmt `key=value` of any of KEYS whose value is a time (one pass over the bytes). */
  #anyLogfmtKey(b: Uint8Array, start: number, end: number): number {
    const stop = Math.min(end, start + KEY_WINDOW);
    for (let q = start + 1; q < stop; q++) {
      if (b[q] !== EQUALS) continue;
      let w = q - 1;
      while (w > start && q - w <= LONGEST_KEY && b[w - 1] !== SPACE && b[w - 1] !== TAB) w--;
      if (w > start && b[w - 1] !== SPACE && b[w - 1] !== TAB) continue;
      for (let k = 0; k < KEYS.length; k++) {
        const key = KEYS[k]!;
        if (key.length !== q - w || !matches(b, w, key)) continue;
        const t = this.#value(b, q + 1, end);
        if (t === t) {
          this.#key = k;
          return t;
        }
      }
    }
    return NaN;
  }

  /** A quoted or bare value at v: an ISO time or epoch digits. */
  #value(b: Uint8Array, v: number, end: number): number {
    const p = this.#p;
    if (b[v] === QUOTE) {
      let t = p.iso(b, v + 1, end);
      if (t !== t) t = p.epoch(b, v + 1, end);
      return t === t && b[p.end] === QUOTE ? t : NaN;
    }
    const t = p.iso(b, v, end);
    return t === t ? t : p.epoch(b, v, end);
  }
}

function matches(b: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (b[at + i] !== key[i]) return false;
  return true;
}
