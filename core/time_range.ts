/**
 * Whether a `--since`/`--until` range is set (core/time_spec.ts): kept apart from the time
 * modules, which load only for a run that has one (a run without pays nothing for them).
 */
import type { TimeRange } from "./time_spec.ts";

/** The range when it bounds anything, else null (no range, or −∞ to +∞). */
export function activeRange(range: TimeRange | undefined | null): TimeRange | null {
  if (range === undefined || range === null) return null;
  return range.since === -Infinity && range.until === Infinity ? null : range;
}
