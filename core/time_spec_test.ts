import assert from "node:assert/strict";
import { fixedZone, UTC } from "./civil_time.ts";
import { errorKind } from "./errors.ts";
import {
  BucketWidthError,
  parseBucketWidth,
  parseTimeRange,
  parseTimeSpec,
  TimeSpecError,
} from "./time_spec.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const T = Date.UTC(2026, 11, 3, 10, 0, 0);
const MIN = 60_000;
const opts = { now: NOW, zone: UTC };

const SPECS: [string, number][] = [
  ["90s", NOW - 90_000],
  ["15m", NOW - 15 * MIN],
  ["2h", NOW - 120 * MIN],
  ["1d", NOW - 24 * 60 * MIN],
  ["1h30m", NOW - 90 * MIN],
  ["1.5h", NOW - 90 * MIN],
  ["0m", NOW],
  [" 10m ", NOW - 10 * MIN],
  ["now", NOW],
  ["2026-12-03T10:00:00Z", T],
  ["2026-12-03T10:00:00.250Z", T + 250],
  ["2026-12-03T11:00:00+01:00", T],
  ["2026-12-03T10:00:00", T],
  ["2026-12-03 10:00:00", T],
  ["2026-12-03 10:00", T],
  ["2026-12-03", Date.UTC(2026, 11, 3)],
  ["20261203-100000", T],
  ["1203-100000", T],
  ["1231-100000", Date.UTC(2025, 11, 31, 10)],
];

for (const [value, want] of SPECS) {
  Deno.test(`--since ${JSON.stringify(value)} is read`, () => {
    assert.equal(parseTimeSpec("--since", value, opts), want);
  });
}

Deno.test("a time without a zone is in the zone given", () => {
  const plusOne = { now: NOW, zone: fixedZone(60) };
  assert.equal(parseTimeSpec("--since", "2026-12-03 11:00:00", plusOne), T);
  assert.equal(parseTimeSpec("--since", "2026-12-03T10:00:00Z", plusOne), T);
});

const BAD: [string, RegExp][] = [
  ["", /^--since "": empty; give a duration \(90s, 15m, 1h30m, 1d\) or a time/],
  ["15", /^--since "15": 15 has no unit \(s, m, h, d\)$/],
  ["15x", /^--since "15x": unknown unit "x" \(s, m, h, d\)$/],
  ["15min", /^--since "15min": unknown unit "min"/],
  ["1h30", /^--since "1h30": 30 has no unit/],
  ["-15m", /^--since "-15m": not a duration \(90s, 15m, 1h30m, 1d\) or a time \(2026-12-03T10/],
  ["yesterday", /^--since "yesterday": not a duration/],
  ["2026-13-03", /^--since "2026-13-03": not a duration/],
  ["2026-02-30 10:00", /^--since "2026-02-30 10:00": not a duration/],
  ["2026-12-03T10:00:00Z junk", /: not a duration/],
  ["20261203-1000", /: not a duration/],
];

for (const [value, want] of BAD) {
  Deno.test(`--since ${JSON.stringify(value)} is refused with one clear usage line`, () => {
    assert.throws(() => parseTimeSpec("--since", value, opts), (err) => {
      assert.ok(err instanceof TimeSpecError);
      assert.equal(errorKind(err), "usage");
      assert.match(err.message, want);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  });
}

Deno.test("a range keeps absent bounds open and refuses since after until", () => {
  assert.deepEqual(parseTimeRange(undefined, undefined, opts), {
    since: -Infinity,
    until: Infinity,
  });
  assert.deepEqual(parseTimeRange("2h", "1h", opts), {
    since: NOW - 120 * MIN,
    until: NOW - 60 * MIN,
  });
  assert.throws(
    () => parseTimeRange("1h", "2h", opts),
    (err) => err instanceof TimeSpecError && err.message === '--since "1h" is after --until "2h"',
  );
  assert.throws(() => parseTimeRange(undefined, "2h30x", opts), /^TimeSpecError: --until "2h30x"/);
});

const WIDTHS: [string, number][] = [
  ["5s", 5000],
  ["1m", MIN],
  ["1h", 60 * MIN],
  ["1d", 24 * 60 * MIN],
  ["1h30m", 90 * MIN],
  ["0.5m", 30_000],
];

for (const [value, want] of WIDTHS) {
  Deno.test(`bucket width ${value} is ${want} ms`, () => {
    assert.equal(parseBucketWidth(value), want);
  });
}

const BAD_WIDTHS: [string, string][] = [
  ["5x", 'bucket width "5x": unknown unit "x" (s, m, h, d)'],
  ["5", 'bucket width "5": 5 has no unit (s, m, h, d)'],
  ["0m", 'bucket width "0m": must be more than 0'],
  ["1.5s", 'bucket width "1.5s": must be whole seconds'],
  ["m", 'bucket width "m": not a duration such as 5s, 1m, 1h or 1d'],
  ["", 'bucket width "": not a duration such as 5s, 1m, 1h or 1d'],
];

for (const [value, want] of BAD_WIDTHS) {
  Deno.test(`bucket width ${JSON.stringify(value)} is a query error: ${want}`, () => {
    assert.throws(() => parseBucketWidth(value), (err) => {
      assert.ok(err instanceof BucketWidthError);
      assert.equal(errorKind(err), "setup");
      assert.equal(err.message, want);
      return true;
    });
  });
}

Deno.test("a duration further back than a date can be is no lower bound", () => {
  const opts = { now: NOW };
  assert.equal(parseTimeSpec("--since", "100000000000h", opts), -Infinity);
  assert.equal(parseTimeSpec("--since", `${"1".repeat(400)}h`, opts), -Infinity);
  assert.equal(parseTimeSpec("--since", "99999999d", opts), NOW - 99_999_999 * 24 * 60 * MIN);
});

Deno.test("a bucket width of more days than a number holds is too long", () => {
  const value = `${"9".repeat(400)}d`;
  assert.throws(
    () => parseBucketWidth(value),
    new BucketWidthError(`bucket width "${value}": too long`),
  );
});
