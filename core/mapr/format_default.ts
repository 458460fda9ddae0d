/**
 * The `default` log format (docs/query-language.md#log-formats): DTail's own MapReduce lines,
 * `INFO|time|pid|caller|cpus|goroutines|cgocalls|loadavg|uptime|MAPREDUCE:TABLE|k=v|k=v…`.
 *
 * A line needs at least 11 `|`-separated fields, field 0 starting with `INFO` (kept from Go DTail,
 * docs/compatibility.md#go-quirks-we-keep) and field 9 starting with `MAPREDUCE:`; other lines are
 * skipped silently. Every token after field 9 must be `k=v`, otherwise the line is malformed.
 */

import {
  COMMON_VARIABLES,
  CommonFields,
  SlotCache,
  SlotFields,
  trimLine,
  wants,
  type Zone,
} from "./format_common.ts";
import { KeyValues } from "./format_kv.ts";
import type { Fields, LogParser, ParseResult } from "./types.ts";

/** Fields 2–8 of a default line, by position. */
const POSITIONAL = [
  "$pid",
  "$caller",
  "$cpus",
  "$goroutines",
  "$cgocalls",
  "$loadavg",
  "$uptime",
] as const;

/** The `$` variables of the default format. */
export const DEFAULT_VARIABLES: ReadonlySet<string> = new Set([
  ...COMMON_VARIABLES,
  "$severity",
  "$loglevel",
  "$time",
  "$date",
  "$hour",
  "$minute",
  "$second",
  ...POSITIONAL,
]);

/** Parses DTail's MapReduce log lines. */
export class DefaultParser implements LogParser {
  readonly #common: CommonFields;
  readonly #kv: KeyValues;
  /** Start of fields 0..10 of the current line. */
  readonly #starts = new Int32Array(11);
  readonly #severity: boolean;
  readonly #loglevel: boolean;
  readonly #time: boolean;
  /** `[$date, $hour, $minute, $second]` wanted. */
  readonly #clock: readonly boolean[];
  readonly #anyClock: boolean;
  /** Wanted positional fields as `[field index, name]`. */
  readonly #positional: readonly (readonly [number, string])[];
  readonly #positionalSlots: SlotCache;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone, reuse = false) {
    this.#common = new CommonFields(hostname, needed, zone, reuse);
    this.#kv = new KeyValues(needed);
    this.#severity = wants(needed, "$severity");
    this.#loglevel = wants(needed, "$loglevel");
    this.#time = wants(needed, "$time");
    this.#clock = ["$date", "$hour", "$minute", "$second"].map((n) => wants(needed, n));
    this.#anyClock = this.#clock.includes(true);
    this.#positional = POSITIONAL.map((name, i) => [i + 2, name] as const)
      .filter(([, name]) => wants(needed, name));
    this.#positionalSlots = new SlotCache(this.#positional.map(([, name]) => name));
  }

  parse(raw: string, _sourceId: string): ParseResult {
    const line = trimLine(raw);
    if (!line.startsWith("INFO")) return "skip";
    const starts = this.#starts;
    let pos = 0;
    for (let i = 1; i <= 10; i++) {
      const bar = line.indexOf("|", pos);
      if (bar < 0) return "skip";
      pos = bar + 1;
      starts[i] = pos;
    }
    if (!line.startsWith("MAPREDUCE:", starts[9])) return "skip";

    const fields = this.#common.create(line);
    if (this.#severity || this.#loglevel) {
      const severity = line.slice(0, starts[1]! - 1);
      if (this.#severity) fields.set("$severity", severity);
      if (this.#loglevel) fields.set("$loglevel", severity);
    }
    const t0 = starts[1]!;
    const t1 = starts[2]! - 1;
    if (this.#time) fields.set("$time", line.slice(t0, t1));
    if (this.#anyClock && t1 - t0 === 15) this.#addClock(fields, line, t0);
    const positional = this.#positional;
    if (fields instanceof SlotFields) {
      const slots = this.#positionalSlots.of(fields);
      for (let p = 0; p < positional.length; p++) {
        const i = positional[p]![0];
        fields.setAt(slots[p]!, line.slice(starts[i]!, starts[i + 1]! - 1));
      }
    } else {
      for (const [i, name] of positional) {
        fields.set(name, line.slice(starts[i]!, starts[i + 1]! - 1));
      }
    }
    return this.#kv.add(fields, line, starts[10]!, true) ? fields : "malformed";
  }

  /** `$date $hour $minute $second` from a `YYYYMMDD-HHMMSS` time at `t0`. */
  #addClock(fields: Fields, line: string, t0: number): void {
    const [date, hour, minute, second] = this.#clock;
    if (date) fields.set("$date", line.slice(t0, t0 + 8));
    if (hour) fields.set("$hour", line.slice(t0 + 9, t0 + 11));
    if (minute) fields.set("$minute", line.slice(t0 + 11, t0 + 13));
    if (second) fields.set("$second", line.slice(t0 + 13, t0 + 15));
  }
}
