/**
 * The `csv` format (docs/query-language.md#log-formats): comma-separated, no quoting or escaping.
 * The first line of each source is its header (and yields nothing); later lines map their columns
 * by position to the header names. More columns than the header make a line malformed; fewer yield
 * only those present.
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
      const names = decodeRange(bytes, start, end).split(",");
      const slot = (n: string) => wants(this.#needed, n) ? this.fields.slot(n) : -1;
      this.#headers.set(sourceId, Int32Array.from(names, slot));
      return SKIP;
    }
    const fields = this.fields;
    let pos = start;
    for (let column = 0;; column++) {
      if (column >= columns.length) return MALFORMED;
      let comma = pos;
      while (comma < end && bytes[comma] !== COMMA) comma++;
      const slot = columns[column]!;
      if (slot >= 0) fields.setBytes(slot, bytes, pos, comma);
      if (comma === end) return PARSED;
      pos = comma + 1;
    }
  }
}
