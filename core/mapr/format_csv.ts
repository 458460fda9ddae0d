/**
 * The `csv` format (docs/query-language.md#log-formats): comma-separated. The first line of each
 * source is its header (and yields nothing); later lines map their columns by position to the
 * header names. More columns than the header make a line malformed; fewer yield only those present.
 * A field in quotes as RFC 4180 writes it (`"a,b"`, `"say ""hi"""`) is one value without its quotes;
 * a quote anywhere else, or a quoted field not closed before a comma or the line's end, is taken as
 * it is (as the Go DTail takes every field).
 */

import {
  COMMON_VARIABLES,
  LineParser,
  MALFORMED,
  type ParseCode,
  PARSED,
  SKIP,
  wants,
  type Zone,
} from "./format_common.ts";
import { decodeRange } from "./line_fields.ts";

/** The `$` variables of `csv` (columns are barewords). */
export const CSV_VARIABLES: ReadonlySet<string> = COMMON_VARIABLES;

const COMMA = 44;
const QUOTE = 34;

/** The field at `pos` (fieldAt): its value's bounds, where the next field starts, and whether
 * the value holds doubled quotes to undo. */
const field = { start: 0, end: 0, next: 0, doubled: false };

/**
 * Finds the field starting at `pos` of a line ending at `end` and sets `field`; `next` is past the
 * comma after it, or `end + 1` for the last field.
 */
function fieldAt(bytes: Uint8Array, pos: number, end: number): void {
  if (bytes[pos] === QUOTE) {
    let doubled = false;
    for (let i = pos + 1; i < end; i++) {
      if (bytes[i] !== QUOTE) continue;
      if (bytes[i + 1] === QUOTE && i + 1 < end) {
        doubled = true;
        i++;
        continue;
      }
      if (i + 1 === end || bytes[i + 1] === COMMA) {
        field.start = pos + 1;
        field.end = i;
        field.next = i + 2;
        field.doubled = doubled;
        return;
      }
      break; // `"a"b`: not a quoted field
    }
  }
  let comma = pos;
  while (comma < end && bytes[comma] !== COMMA) comma++;
  field.start = pos;
  field.end = comma;
  field.next = comma + 1;
  field.doubled = false;
}

/** The field's value as text (its doubled quotes undone). */
function fieldText(bytes: Uint8Array): string {
  const text = decodeRange(bytes, field.start, field.end);
  return field.doubled ? text.replaceAll('""', '"') : text;
}

/** Parses CSV lines with one header per source id. */
export class CsvParser extends LineParser {
  readonly #needed: ReadonlySet<string> | null;
  /** Per source: the slot of each column, -1 where the column is not wanted. */
  readonly #headers = new Map<string, Int32Array>();

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone) {
    super(hostname, needed, zone);
    this.#needed = needed;
  }

  protected parseLine(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
  ): ParseCode {
    const columns = this.#headers.get(sourceId);
    if (columns === undefined) {
      const names: string[] = [];
      for (let pos = start; pos <= end; pos = field.next) {
        fieldAt(bytes, pos, end);
        names.push(fieldText(bytes));
      }
      const slot = (n: string) => wants(this.#needed, n) ? this.fields.slot(n) : -1;
      this.#headers.set(sourceId, Int32Array.from(names, slot));
      return SKIP;
    }
    const fields = this.fields;
    let pos = start;
    for (let column = 0;; column++) {
      if (column >= columns.length) return MALFORMED;
      fieldAt(bytes, pos, end);
      const slot = columns[column]!;
      if (slot >= 0) {
        if (field.doubled) fields.setText(slot, fieldText(bytes));
        else fields.setBytes(slot, bytes, field.start, field.end);
      }
      if (field.next > end) return PARSED;
      pos = field.next;
    }
  }
}
