import assert from "node:assert/strict";
import { bucketLabel, bucketStart, timeLabel } from "./time_bucket.ts";

const T = Date.UTC(2026, 11, 3, 10, 7, 31, 250);
const MIN = 60_000;

const CASES: [number, number, string][] = [
  [T, 1000, "2026-12-03T10:07:31Z"],
  [T, MIN, "2026-12-03T10:07:00Z"],
  [T, 5 * MIN, "2026-12-03T10:05:00Z"],
  [T, 60 * MIN, "2026-12-03T10:00:00Z"],
  [T, 24 * 60 * MIN, "2026-12-03T00:00:00Z"],
  [Date.UTC(2026, 11, 3, 10, 5), 5 * MIN, "2026-12-03T10:05:00Z"],
  [Date.UTC(1969, 11, 31, 23, 59, 30), MIN, "1969-12-31T23:59:00Z"],
];

for (const [ms, width, want] of CASES) {
  Deno.test(`the ${width} ms bucket of ${new Date(ms).toISOString()} is ${want}`, () => {
    assert.equal(bucketLabel(ms, width), want);
    assert.equal(bucketStart(ms, width), Date.parse(want));
  });
}

Deno.test("a label keeps milliseconds only when there are some", () => {
  assert.equal(timeLabel(T), "2026-12-03T10:07:31.250Z");
  assert.equal(timeLabel(Date.UTC(2026, 11, 3)), "2026-12-03T00:00:00Z");
});

Deno.test("a line without a time has no bucket and an empty label", () => {
  assert.ok(Number.isNaN(bucketStart(NaN, MIN)));
  assert.equal(bucketLabel(NaN, MIN), "");
  assert.equal(timeLabel(Infinity), "");
  assert.equal(timeLabel(9e15), "");
});
