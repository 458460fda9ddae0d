/**
 * Time buckets (`bucket($time, 1m)`): an instant floored to a multiple of the width since the
 * epoch, in UTC (a day bucket starts at 00:00Z), labelled in RFC 3339 UTC.
 */

/** The start of the bucket of `epochMs` (NaN stays NaN). */
export function bucketStart(epochMs: number, widthMs: number): number {
  return Math.floor(epochMs / widthMs) * widthMs;
}

/** The largest instant a Date holds. */
const MAX_DATE_MS = 8.64e15;

/** `2026-12-03T10:05:00Z` (with `.123` when the ms are not 0); "" for NaN. */
export function timeLabel(epochMs: number): string {
  if (!(Math.abs(epochMs) <= MAX_DATE_MS)) return "";
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith(".000Z") ? iso.slice(0, -5) + "Z" : iso;
}

/** The label of the bucket of `epochMs`: what `bucket($time, width)` yields. */
export function bucketLabel(epochMs: number, widthMs: number): string {
  return timeLabel(bucketStart(epochMs, widthMs));
}
