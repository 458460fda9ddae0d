/**
 * The fields every log format produces (docs/query-language.md#fields): `*`, `$line`, `$empty`,
 * `$hostname`, `$server`, `$timezone` and `$timeoffset`, plus the helpers the format parsers share.
 */

import { unescapeString } from "./json_string.ts";
import { LineFields, spaceAfter, trimRange } from "./line_fields.ts";
import type { LogParser, ParseResult } from "./types.ts";

/** The `$` variables every format produces (`*` is not a variable). */
export const COMMON_VARIABLES: ReadonlySet<string> = new Set([
  "$line",
  "$empty",
  "$hostname",
  "$server",
  "$timezone",
  "$timeoffset",
]);

/** The local time zone: its abbreviation (e.g. `UTC`) and its offset in seconds east of UTC. */
export interface Zone {
  readonly name: string;
  readonly offset: number;
}

/** The local time zone at `now`; the name is the short English one (`UTC`, `EST`, `GMT+1`). */
export function localZone(now: Date = new Date()): Zone {
  const offset = -now.getTimezoneOffset() * 60 || 0;
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(now)
    .find((p) => p.type === "timeZoneName");
  return { name: part?.value ?? "UTC", offset };
}

/** Whether a field is wanted: every field when `needed` is null. */
export function wants(needed: ReadonlySet<string> | null, name: string): boolean {
  return needed === null || needed.has(name);
}

/** What a parser makes of a line: fields in its LineFields, nothing, or a malformed line. */
export const PARSED = 0;
export const SKIP = 1;
export const MALFORMED = 2;
export type ParseCode = typeof PARSED | typeof SKIP | typeof MALFORMED;

const encoder = new TextEncoder();
const NEWLINE = 10;

/** The first entry of `seps[k, n)` (positions in `bytes`) that is a "\n", or `n`. */
export function newlineEntry(bytes: Uint8Array, seps: Int32Array, k: number, n: number): number {
  while (k < n && bytes[seps[k]!] !== NEWLINE) k++;
  return k;
}

/** The index of the first "\n" in `bytes[from, end)`, or `end`. */
export function lineEndFrom(bytes: Uint8Array, from: number, end: number): number {
  while (from < end && bytes[from] !== NEWLINE) from++;
  return from;
}

/** The first byte of `bytes[start, end)` that String.prototype.trim keeps: the line end never goes. */
export function skipLeadingSpace(bytes: Uint8Array, start: number, end: number): number {
  for (let n = 0; start < end && bytes[start] !== NEWLINE; start += n) {
    if ((n = spaceAfter(bytes, start, end)) === 0) break;
  }
  return start;
}

/**
 * Sets the fields `slot` and `time` (-1: none) to the value `bytes[start, end)`, a string's
 * content with JSON's escapes decoded when `escaped` (json and logfmt values).
 */
export function setValue(
  fields: LineFields,
  slot: number,
  time: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  escaped: boolean,
): void {
  if (escaped) {
    const text = unescapeString(bytes, start, end);
    if (slot >= 0) fields.setText(slot, text);
    if (time >= 0) fields.setText(time, text);
    return;
  }
  if (slot >= 0) fields.setBytes(slot, bytes, start, end);
  if (time >= 0) fields.setBytes(time, bytes, start, end);
}

/**
 * What every log-format parser shares: one LineFields reused for every line, holding the common
 * fields the query wants, and the trimmed line as `$line`. A subclass reads the format's fields
 * from the trimmed line's bytes (`parseLine`).
 */
export abstract class LineParser implements LogParser {
  readonly fields = new LineFields();
  /** The fields the query reads (null: every field), for a subclass's own readers. */
  protected readonly needed: ReadonlySet<string> | null;
  /** The slot of `$line`, or -1 when the query does not read it. */
  protected readonly lineSlot: number;
  /** Where the line `parseLineAt` parsed ends: its "\n", or the end of the region. */
  lineEnd = 0;
  readonly #bounds = new Int32Array(2);

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone) {
    this.needed = needed;
    const fixed: [string, string][] = [
      ["*", "*"],
      ["$empty", ""],
      ["$hostname", hostname],
      ["$server", hostname],
    ];
    // Intl is slow to start: ask for the zone only when a query uses it.
    if (wants(needed, "$timezone") || wants(needed, "$timeoffset")) {
      const z = zone ?? localZone();
      fixed.push(["$timezone", z.name], ["$timeoffset", String(z.offset)]);
    }
    for (const [name, value] of fixed) if (wants(needed, name)) this.fields.fix(name, value);
    this.lineSlot = wants(needed, "$line") ? this.fields.slot("$line") : -1;
  }

  /**
   * Parses the line `bytes[start, end)` (without its line end) into `fields`. `text` is the
   * decoded text of `bytes` when its indices are byte offsets, else null.
   */
  parseBytes(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): ParseCode {
    const bounds = this.trimmed(bytes, start, end, text);
    return this.parseLine(bytes, bounds[0]!, bounds[1]!, sourceId, text);
  }

  /**
   * The line `bytes[start, end)` without the white space around it, as [start, end) (reused),
   * its fields begun and `$line` set.
   */
  protected trimmed(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | null,
  ): Int32Array {
    const bounds = this.#bounds;
    trimRange(bytes, start, end, bounds);
    const fields = this.fields;
    fields.begin(bytes, text);
    if (this.lineSlot >= 0) fields.setBytes(this.lineSlot, bytes, bounds[0]!, bounds[1]!);
    return bounds;
  }

  /**
   * The start of a one-pass `parseLineAt`: skips the line's leading white space and begins its
   * fields. -1 for a blank line, whose end is then `lineEnd`.
   */
  protected beginLineAt(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | null,
  ): number {
    start = skipLeadingSpace(bytes, start, end);
    if (start === end || bytes[start] === NEWLINE) {
      this.lineEnd = start;
      return -1;
    }
    this.fields.begin(bytes, text);
    return start;
  }

  /**
   * Parses the line that starts at `start` in `bytes[start, end)` (whole lines, each ended by
   * "\n" but maybe the last) and sets `lineEnd`. A format that reads a line to its end overrides
   * this to find the end as it goes: one pass over the bytes rather than two.
   */
  parseLineAt(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): ParseCode {
    const newline = lineEndFrom(bytes, start, end);
    this.lineEnd = newline;
    const stop = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline;
    return this.parseBytes(bytes, start, stop, sourceId, text);
  }

  /**
   * Whether the format parses from where a line's `|`, `=` and "\n" are (`parseLineIndexed`),
   * listed by the byte search, rather than from every byte.
   */
  get indexed(): boolean {
    return false;
  }

  /**
   * `parseLineAt` of the line at `start` given where the `|`, `=` and "\n" of `bytes[start, end)`
   * are: `seps[k, n)`, positions in order (the first at or after `start`; `end` is the end of
   * the region or right after a "\n"). Sets `lineEnd`, and `nextSep` to the entry after the
   * line's "\n". Only for a format whose `indexed` is true.
   */
  parseLineIndexed(
    _bytes: Uint8Array,
    _start: number,
    _end: number,
    _text: string | null,
    _seps: Int32Array,
    _k: number,
    _n: number,
  ): ParseCode {
    throw new Error("this log format does not parse from separators");
  }

  /** The entry of the separators after the line `parseLineIndexed` parsed. */
  nextSep = 0;

  /** A line skipped by `parseLineIndexed`: its end is the next "\n" of `seps[k, n)`, or `end`. */
  protected skipIndexed(
    bytes: Uint8Array,
    end: number,
    seps: Int32Array,
    k: number,
    n: number,
  ): ParseCode {
    k = newlineEntry(bytes, seps, k, n);
    this.lineEnd = k < n ? seps[k++]! : end;
    this.nextSep = k;
    return SKIP;
  }

  /**
   * Reads the format's fields of the trimmed line `bytes[start, end)` into `fields` (`text` as
   * in `parseBytes`).
   */
  protected abstract parseLine(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): ParseCode;

  /** One line as text: its fields as a new map (tests, and callers with text in hand). */
  parse(line: string, sourceId: string): ParseResult {
    const bytes = encoder.encode(line);
    const code = this.parseBytes(bytes, 0, bytes.length, sourceId, null);
    if (code === SKIP) return "skip";
    return code === MALFORMED ? "malformed" : this.fields.toMap();
  }
}
