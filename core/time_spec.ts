/**
 * The values of `--since` and `--until` (a duration back from now, or a time), and the widths of
 * time buckets (`bucket($time, 5m)`).
 */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND } from "./civil_time.ts";
import { SetupError, UsageError } from "./errors.ts";
import { type LineTimeOptions, TimeParsers } from "./log_time.ts";

/** A `--since`/`--until` value that is neither a duration nor a time. */
export class TimeSpecError extends UsageError {
  override name = "TimeSpecError";
}

/** A bucket width that is not a positive duration in whole seconds (a query error). */
export class BucketWidthError extends SetupError {
  override name = "BucketWidthError";
}

/** The instants of a time range; a bound not given is -Infinity or Infinity. */
export interface TimeRange {
  readonly since: number;
  readonly until: number;
}

const UNITS: Record<string, number> = {
  s: MS_PER_SECOND,
  m: MS_PER_MINUTE,
  h: MS_PER_HOUR,
  d: MS_PER_DAY,
};
const UNIT_LIST = "s, m, h, d";
const DURATION_SHAPE = /^(?:[0-9]+(?:\.[0-9]+)?[^0-9.\-:/ ]*)+$/;
const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)([^0-9.]*)/g;
const EXAMPLES = "a duration (90s, 15m, 1h30m, 1d) or a time (2026-12-03T10:00:00Z, " +
  "2026-12-03 10:00:00, 2026-12-03, 20261203-100000)";

/** A duration such as `90s`, `15m`, `1h30m`, `1.5h`, in ms; or why it is not one. */
function durationMs(text: string): number | string {
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    if (unit === "") return `${amount} has no unit (${UNIT_LIST})`;
    const per = UNITS[unit!];
    if (per === undefined) return `unknown unit "${unit}" (${UNIT_LIST})`;
    ms += Number(amount) * per;
  }
  return Math.round(ms);
}

/** The largest epoch ms a JavaScript Date holds. */
const MAX_DATE_MS = 8.64e15;

/**
 * The instant a `--since`/`--until` value means: `now` minus a duration, `now`, or a time
 * (RFC 3339 with or without a zone, `2026-12-03 10:00:00`, `2026-12-03`, DTail's
 * `20261203-100000` or `1203-100000`); times without a zone are in `options.zone` (local).
 * Throws TimeSpecError naming the flag.
 */
export function parseTimeSpec(flag: string, value: string, options: LineTimeOptions = {}): number {
  const text = value.trim();
  const now = options.now ?? Date.now();
  const fail = (why: string) => new TimeSpecError(`${flag} ${JSON.stringify(value)}: ${why}`);
  if (text === "") throw fail(`empty; give ${EXAMPLES}`);
  if (text === "now") return now;
  if (DURATION_SHAPE.test(text)) {
    const ms = durationMs(text);
    if (typeof ms === "string") throw fail(ms);
    // Further back than a date can be (±8.64e15 ms): no lower bound at all.
    return now - ms < -MAX_DATE_MS ? -Infinity : now - ms;
  }
  const bytes = new TextEncoder().encode(text);
  const parsers = new TimeParsers({ ...options, now });
  let t = parsers.iso(bytes, 0, bytes.length, true);
  if (t === t && parsers.end === bytes.length) return t;
  t = parsers.dtail(bytes, 0, bytes.length);
  if (t === t && parsers.end === bytes.length) return t;
  throw fail(`not ${EXAMPLES}`);
}

/** Both bounds of a range (either may be absent); throws TimeSpecError when since > until. */
export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  options: LineTimeOptions = {},
): TimeRange {
  const now = options.now ?? Date.now();
  const o = { ...options, now };
  const range = {
    since: since === undefined ? -Infinity : parseTimeSpec("--since", since, o),
    until: until === undefined ? Infinity : parseTimeSpec("--until", until, o),
  };
  if (range.since > range.until) {
    throw new TimeSpecError(
      `--since ${JSON.stringify(since)} is after --until ${JSON.stringify(until)}`,
    );
  }
  return range;
}

/** A bucket width (`5s`, `1m`, `1h`, `1d`, `1h30m`) in ms; throws BucketWidthError. */
export function parseBucketWidth(value: string): number {
  const text = value.trim();
  const fail = (why: string) =>
    new BucketWidthError(`bucket width ${JSON.stringify(value)}: ${why}`);
  if (!DURATION_SHAPE.test(text)) throw fail(`not a duration such as 5s, 1m, 1h or 1d`);
  const ms = durationMs(text);
  if (typeof ms === "string") throw fail(ms);
  if (!Number.isFinite(ms)) throw fail("too long");
  if (ms <= 0) throw fail("must be more than 0");
  if (ms % MS_PER_SECOND !== 0) throw fail("must be whole seconds");
  return ms;
}
