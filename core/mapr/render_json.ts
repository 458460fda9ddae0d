/**
 * `--json` for query results (docs/usage.md#machine-output---json): one line per result row,
 * `{"report":n,"row":{"<select text>":value,…}}`. The row's keys are the select items' texts in
 * select order; values are JSON numbers for numeric aggregations (null where not finite) and
 * strings for `last`. Rows are sorted and cut by `limit` as in the CSV (no default cap). A
 * cumulative run (dmap, an outfile) prints its final result only; a per-interval run
 * (dtail --query) every report with rows, numbered from 1.
 */
import { GroupSet } from "./aggregate.ts";
import { parseGoFloat } from "./evaluate.ts";
import { sortRows, writeOutfile } from "./render.ts";
import type { Query, ResultRow, SelectItem } from "./types.ts";

/** A cell as JSON: the number of a numeric aggregation (null when not finite), `last`'s string. */
export function jsonCell(
  item: SelectItem,
  value: number | string | undefined,
): number | string | null {
  if (item.agg === "last") return value === undefined ? "" : String(value);
  const number = typeof value === "string" ? parseGoFloat(value) : value ?? 0;
  if (number === null) return value as string;
  return Number.isFinite(number) ? number : null;
}

/** JSON text is handed over in pieces of about this many characters (memory stays flat). */
const JSON_PIECE = 64 * 1024;

/** The lines of one report (sorted, `limit` applied), in pieces of about JSON_PIECE characters. */
export function jsonRows(
  query: Query,
  rows: readonly ResultRow[],
  report: number,
  piece: (text: string) => void,
): void {
  const sorted = sortRows(query, rows);
  const count = query.limit < 0 ? sorted.length : Math.min(query.limit, sorted.length);
  // A select text written twice is one key (the same value).
  const seen = new Set<string>();
  const items = query.select.filter((item) => !seen.has(item.text) && seen.add(item.text));
  const keys = items.map((item) => JSON.stringify(item.text) + ":");
  const open = `{"report":${report},"row":{`;
  let out = "";
  for (let r = 0; r < count; r++) {
    const cells = sorted[r]!.cells;
    let line = open;
    for (let i = 0; i < items.length; i++) {
      if (i > 0) line += ",";
      line += keys[i]! + JSON.stringify(jsonCell(items[i]!, cells.get(items[i]!.text)));
    }
    out += line + "}}\n";
    if (out.length >= JSON_PIECE) {
      piece(out);
      out = "";
    }
  }
  if (out !== "") piece(out);
}

export interface JsonReporterOptions {
  /** dmap and queries with an outfile: every report holds everything so far. */
  readonly cumulative: boolean;
  /** Writes a piece of a report to stdout. */
  readonly print: (text: string) => void;
  /** A notice for stderr: the malformed-line count. */
  readonly warn: (message: string) => void;
}

/** The Reporter (reporter.ts) of a --json run: rows as JSON lines, notices on stderr. */
export class JsonReporter {
  readonly query: Query;
  #groups: GroupSet;
  #reports = 0;
  #warnedMalformed = 0;
  /** Malformed log lines skipped, summed over all sources (said on stderr). */
  malformed = 0;

  constructor(query: Query, private readonly options: JsonReporterOptions) {
    this.query = query;
    this.#groups = new GroupSet(query);
  }

  /** Merges groups mapped here or received from a server. */
  merge(groups: GroupSet): void {
    this.#groups.merge(groups);
  }

  /**
   * Writes the outfile (CSV, as without --json) and prints the rows: every report of a
   * per-interval run, which it clears; only the `final` one of a cumulative run.
   */
  async report(final = false): Promise<void> {
    const { cumulative } = this.options;
    const groups = this.#groups;
    if (!cumulative) this.#groups = new GroupSet(this.query);
    if (this.query.outfile !== null) {
      await writeOutfile(this.query, groups.rows());
    }
    if (this.malformed !== this.#warnedMalformed) {
      this.#warnedMalformed = this.malformed;
      this.options.warn(`${this.malformed} malformed log line(s) skipped`);
    }
    if (cumulative && !final) return;
    const rows = groups.rows();
    if (rows.length === 0) return;
    jsonRows(this.query, rows, ++this.#reports, this.options.print);
  }
}
