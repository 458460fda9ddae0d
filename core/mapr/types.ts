/**
 * The MapReduce data model (docs/query-language.md), shared by the query parser (query.ts), the
 * log-format parsers (logformat.ts), evaluation and aggregation (aggregate.ts) and output
 * (render.ts).
 */

export type AggName =
  | "count"
  | "sum"
  | "min"
  | "max"
  | "avg"
  | "last"
  | "len"
  | "percentage"
  | "percentile";

export interface SelectItem {
  /** The storage text, exactly as written in the query: `count($line)`, `$time`, `` `x` `` stripped. */
  readonly text: string;
  /** A bare field is `last`. */
  readonly agg: AggName;
  /** The field the aggregation reads (`$line`, `goroutines`, …). */
  readonly field: string;
}

export type Operand =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number };

export interface Condition {
  readonly left: Operand;
  /** `==` `!=` `<` `<=` `>` `>=` (`=<`, `=>` normalised), `eq` `ne` `contains` `ncontains` (`lacks`
   * normalised), `hasprefix` `nhasprefix` `hassuffix` `nhassuffix`. */
  readonly op: string;
  readonly right: Operand;
}

export type Expr =
  | { readonly kind: "number"; readonly text: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "call"; readonly fn: "md5sum" | "maskdigits"; readonly arg: Expr };

export interface Assignment {
  /** `$name`. */
  readonly target: string;
  readonly expr: Expr;
}

export interface Query {
  readonly raw: string;
  readonly select: readonly SelectItem[];
  /** Upper-cased table of `from`, or null without `from`. */
  readonly table: string | null;
  readonly where: readonly Condition[];
  readonly set: readonly Assignment[];
  /** Group-by fields; without `group by` the first select item's field; `["*"]` for one group. */
  readonly groupBy: readonly string[];
  /** `order by` (descending) / `rorder by` (ascending); `key` is a select item's text. */
  readonly orderBy: { readonly key: string; readonly descending: boolean } | null;
  /** Seconds; default 5. */
  readonly interval: number;
  /** -1 = unlimited. */
  readonly limit: number;
  readonly outfile: { readonly path: string; readonly append: boolean } | null;
  readonly logFormat: string | null;
}

/** The fields of one log line: name → value (missing fields are absent). A Map is one. */
export interface Fields {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/** What a log-format parser makes of a line. */
export type ParseResult = Fields | "skip" | "malformed";

export interface LogParser {
  /** `sourceId` keys per-source state (the CSV header). */
  parse(line: string, sourceId: string): ParseResult;
}

/** A row's values by select text (a Map is one). */
export interface RowValues extends Iterable<[string, number | string]> {
  get(text: string): number | string | undefined;
}

/** One result row: the group key and a value per select item text. */
export interface ResultRow {
  readonly groupKey: string;
  /** Numbers for numeric aggregations (count too), strings for `last` (and raw values). */
  readonly cells: RowValues;
}
