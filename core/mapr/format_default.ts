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
  lineEndFrom,
  LineParser,
  MALFORMED,
  type ParseCode,
  PARSED,
  SKIP,
  skipLeadingSpace,
  wants,
  type Zone,
} from "./format_common.ts";
import { KeyValues } from "./format_kv.ts";
import { decodeRange } from "./line_fields.ts";

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

const BAR = 124;
const NEWLINE = 10;
/** "MAPREDUCE:" */
const MAPREDUCE = [77, 65, 80, 82, 69, 68, 85, 67, 69, 58];
/** The length of a `YYYYMMDD-HHMMSS` time. */
const CLOCK_TIME = 15;

/** Where `$date`, `$hour`, `$minute` and `$second` are in a 15-character time. */
const CLOCK_PARTS = [[0, 8], [9, 11], [11, 13], [13, 15]] as const;

/** Parses DTail's MapReduce log lines. */
export class DefaultParser extends LineParser {
  readonly #kv: KeyValues;
  /** Start of fields 0..10 of the current line. */
  readonly #starts = new Int32Array(11);
  /** Slots of $severity, $loglevel, $time (-1: not wanted). */
  readonly #severity: number;
  readonly #loglevel: number;
  readonly #time: number;
  /** Slots of `[$date, $hour, $minute, $second]` (-1: not wanted). */
  readonly #clock: Int32Array;
  readonly #anyClock: boolean;
  /** Wanted positional fields: field indices and their slots. */
  readonly #positions: Int32Array;
  readonly #positionSlots: Int32Array;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone) {
    super(hostname, needed, zone);
    const slot = (name: string) => wants(needed, name) ? this.fields.slot(name) : -1;
    this.#severity = slot("$severity");
    this.#loglevel = slot("$loglevel");
    this.#time = slot("$time");
    this.#clock = Int32Array.from(["$date", "$hour", "$minute", "$second"], slot);
    this.#anyClock = this.#clock.some((s) => s >= 0);
    const positional = POSITIONAL.map((name, i) => [i + 2, name] as const)
      .filter(([, name]) => wants(needed, name));
    this.#positions = Int32Array.from(positional, ([i]) => i);
    this.#positionSlots = Int32Array.from(positional, ([, name]) => this.fields.slot(name));
    this.#kv = new KeyValues(needed);
  }

  /**
   * One pass over a line of a region: its bars, tokens and end found together (the parse is the
   * same as `parseBytes` of the trimmed line; mapper_test.ts checks that it is).
   */
  override parseLineAt(
    bytes: Uint8Array,
    start: number,
    end: number,
    _sourceId: string,
    text: string | null,
  ): ParseCode {
    start = skipLeadingSpace(bytes, start, end);
    // "INFO"
    if (
      end - start < 4 || bytes[start] !== 73 || bytes[start + 1] !== 78 ||
      bytes[start + 2] !== 70 || bytes[start + 3] !== 79
    ) return this.#skip(bytes, start, end);
    const starts = this.#starts;
    let pos = start;
    for (let i = 1; i <= 10; i++) {
      let c = 0;
      while (pos < end && (c = bytes[pos]!) !== BAR && c !== NEWLINE) pos++;
      if (pos === end || c === NEWLINE) {
        this.lineEnd = pos;
        return SKIP;
      }
      starts[i] = ++pos;
    }
    const table = starts[9]!;
    // No byte of "MAPREDUCE:" is white space or "\n": matched, it is within the trimmed line.
    if (end - table < MAPREDUCE.length) return this.#skip(bytes, table, end);
    for (let i = 0; i < MAPREDUCE.length; i++) {
      if (bytes[table + i] !== MAPREDUCE[i]) return this.#skip(bytes, table, end);
    }
    const fields = this.fields;
    fields.begin(bytes, text);
    this.#setPositional(bytes, start, starts);
    const kv = this.#kv;
    const parsed = kv.addToLineEnd(fields, bytes, starts[10]!, end, start);
    this.lineEnd = kv.lineEnd;
    if (!parsed) return MALFORMED;
    if (this.lineSlot >= 0) fields.setBytes(this.lineSlot, bytes, start, kv.trimmedEnd);
    return PARSED;
  }

  override get indexed(): boolean {
    return true;
  }

  /**
   * `parseLineAt`, reading where the line's `|`, `=` and "\n" are from `seps[k, n)` (positions in
   * `bytes`, in order, the first at or after `start`) rather than every byte; sets `nextSep` to the
   * entry after the line's "\n" too. The same parse (mapper_test.ts checks it).
   */
  override parseLineIndexed(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | null,
    seps: Int32Array,
    k: number,
    n: number,
  ): ParseCode {
    start = skipLeadingSpace(bytes, start, end);
    if (
      end - start < 4 || bytes[start] !== 73 || bytes[start + 1] !== 78 ||
      bytes[start + 2] !== 70 || bytes[start + 3] !== 79
    ) return this.skipIndexed(bytes, end, seps, k, n);
    const starts = this.#starts;
    for (let i = 1; i <= 10; i++) {
      for (;;) {
        if (k === n) {
          this.lineEnd = end;
          this.nextSep = k;
          return SKIP;
        }
        const p = seps[k++]!;
        const c = bytes[p]!;
        if (c === BAR) {
          starts[i] = p + 1;
          break;
        }
        if (c === NEWLINE) {
          this.lineEnd = p;
          this.nextSep = k;
          return SKIP;
        }
      }
    }
    const table = starts[9]!;
    if (end - table < MAPREDUCE.length) return this.skipIndexed(bytes, end, seps, k, n);
    for (let i = 0; i < MAPREDUCE.length; i++) {
      if (bytes[table + i] !== MAPREDUCE[i]) return this.skipIndexed(bytes, end, seps, k, n);
    }
    const fields = this.fields;
    fields.begin(bytes, text);
    this.#setPositional(bytes, start, starts);
    const kv = this.#kv;
    const parsed = kv.addIndexed(fields, bytes, starts[10]!, end, start, seps, k, n);
    this.lineEnd = kv.lineEnd;
    this.nextSep = kv.nextSep;
    if (!parsed) return MALFORMED;
    if (this.lineSlot >= 0) fields.setBytes(this.lineSlot, bytes, start, kv.trimmedEnd);
    return PARSED;
  }

  /** A skipped line: its end found from `from`. */
  #skip(bytes: Uint8Array, from: number, end: number): ParseCode {
    this.lineEnd = lineEndFrom(bytes, from, end);
    return SKIP;
  }

  protected parseLine(bytes: Uint8Array, start: number, end: number): ParseCode {
    // "INFO"
    if (
      end - start < 4 || bytes[start] !== 73 || bytes[start + 1] !== 78 ||
      bytes[start + 2] !== 70 || bytes[start + 3] !== 79
    ) return SKIP;
    const starts = this.#starts;
    let pos = start;
    for (let i = 1; i <= 10; i++) {
      while (pos < end && bytes[pos] !== BAR) pos++;
      if (pos === end) return SKIP;
      starts[i] = ++pos;
    }
    const table = starts[9]!;
    if (end - table < MAPREDUCE.length) return SKIP;
    for (let i = 0; i < MAPREDUCE.length; i++) {
      if (bytes[table + i] !== MAPREDUCE[i]) return SKIP;
    }

    this.#setPositional(bytes, start, starts);
    return this.#kv.add(this.fields, bytes, starts[10]!, end, true) ? PARSED : MALFORMED;
  }

  /** Fields 0–9 of the line that starts at `start`, its fields 1–10 starting at `starts`. */
  #setPositional(bytes: Uint8Array, start: number, starts: Int32Array): void {
    const fields = this.fields;
    if (this.#severity >= 0) fields.setBytes(this.#severity, bytes, start, starts[1]! - 1);
    if (this.#loglevel >= 0) fields.setBytes(this.#loglevel, bytes, start, starts[1]! - 1);
    const t0 = starts[1]!;
    const t1 = starts[2]! - 1;
    if (this.#time >= 0) fields.setBytes(this.#time, bytes, t0, t1);
    // The clock needs a time of 15 characters: of 15 ASCII bytes, or of more bytes that decode
    // to 15 UTF-16 units.
    if (this.#anyClock && t1 - t0 >= CLOCK_TIME) this.#addClock(bytes, t0, t1);
    const positions = this.#positions;
    const slots = this.#positionSlots;
    for (let p = 0; p < positions.length; p++) {
      const i = positions[p]!;
      fields.setBytes(slots[p]!, bytes, starts[i]!, starts[i + 1]! - 1);
    }
  }

  /** `$date $hour $minute $second` from a `YYYYMMDD-HHMMSS` time in `bytes[t0, t1)`. */
  #addClock(bytes: Uint8Array, t0: number, t1: number): void {
    const clock = this.#clock;
    const fields = this.fields;
    let ascii = t1 - t0 === CLOCK_TIME;
    for (let i = t0; ascii && i < t1; i++) ascii = bytes[i]! < 0x80;
    if (ascii) {
      for (let i = 0; i < 4; i++) {
        if (clock[i]! >= 0) {
          fields.setBytes(clock[i]!, bytes, t0 + CLOCK_PARTS[i]![0]!, t0 + CLOCK_PARTS[i]![1]!);
        }
      }
      return;
    }
    const time = decodeRange(bytes, t0, t1);
    if (time.length !== CLOCK_TIME) return;
    for (let i = 0; i < 4; i++) {
      if (clock[i]! >= 0) {
        fields.setText(clock[i]!, time.slice(CLOCK_PARTS[i]![0], CLOCK_PARTS[i]![1]));
      }
    }
  }
}
