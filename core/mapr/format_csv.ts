/**
 * The `csv` format (docs/query-language.md#log-formats): comma-separated, no quoting or escaping.
 * The first line of each source is its header (and yields nothing); later lines map their columns
 * by position to the header names. More columns than the header make a line malformed; fewer yield
 * only those present.
 */

import { COMMON_VARIABLES, CommonFields, trimLine, type Zone } from "./format_common.ts";
import type { LogParser, ParseResult } from "./types.ts";

/** The `$` variables of `csv` (columns are barewords). */
export const CSV_VARIABLES: ReadonlySet<string> = COMMON_VARIABLES;

/** A source's header: per column its name when wanted, else null. */
interface Header {
  readonly names: readonly (string | null)[];
}

/** Parses CSV lines with one header per source id. */
export class CsvParser implements LogParser {
  readonly #common: CommonFields;
  readonly #needed: ReadonlySet<string> | null;
  readonly #headers = new Map<string, Header>();

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone, reuse = false) {
    this.#common = new CommonFields(hostname, needed, zone, reuse);
    this.#needed = needed;
  }

  parse(raw: string, sourceId: string): ParseResult {
    const line = trimLine(raw);
    const header = this.#headers.get(sourceId);
    if (header === undefined) {
      this.#headers.set(sourceId, this.#header(line));
      return "skip";
    }
    const names = header.names;
    const fields = this.#common.create(line);
    let pos = 0;
    for (let column = 0;; column++) {
      if (column >= names.length) return "malformed";
      let end = line.indexOf(",", pos);
      const last = end < 0;
      if (last) end = line.length;
      const name = names[column];
      if (name != null) fields.set(name, line.slice(pos, end));
      if (last) return fields;
      pos = end + 1;
    }
  }

  #header(line: string): Header {
    const needed = this.#needed;
    const names = line.split(",").map((n) => needed === null || needed.has(n) ? n : null);
    return { names };
  }
}
