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
  | "percentile"
  /** `p50` `p90` `p95` `p99` and `quantile(x, q)`: a mergeable sketch (sketch_quantile.ts). */
  | "quantile"
  /** A mergeable HyperLogLog (sketch_distinct.ts). */
  | "count_distinct";

export interface SelectItem {
  /** The storage text, exactly as written in the query: `count($line)`, `$time`, `` `x` `` stripped. */
  readonly text: string;
  /** A bare field is `last`. */
  readonly agg: AggName;
  /** The field the aggregation reads (`$line`, `goroutines`, …). */
  readonly field: string;
  /** The q of `quantile` in (0, 1]: `p99(x)` is 0.99. */
  readonly quantile?: number;
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

/**
 * A time bucket, `bucket($time, 1m)` (docs/query-language.md#time-buckets): a field computed per
 * line from the time in another field's text, valued with the RFC 3339 UTC label of the bucket's
 * start.
 */
export interface BucketSpec {
  /** The name the computed field goes by: the call's text where it first appears in `select`. */
  readonly text: string;
  /** The field whose text holds the time (`$time`, `$line`, a JSON or logfmt key). */
  readonly field: string;
  /** The width, whole seconds in ms. */
  readonly widthMs: number;
}

/**
 * The formats whose lines name no table (`json`, `logfmt`, and `auto`, which reads them too):
 * `from *` reads every line of them (docs/query-language.md#table-filter). Here rather than in
 * logformat.ts, which imports every parser, so that query.ts stays cheap to load.
 */
export const TABLELESS_FORMATS: ReadonlySet<string> = new Set(["json", "logfmt", "auto"]);

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
  /** The time buckets the query computes (absent or empty: none). */
  readonly buckets?: readonly BucketSpec[];
  /** `timelayout "LAYOUT"`: the strftime layout bucket times are read with (absent or null: any
   * built-in layout, core/log_time.ts). */
  readonly timeLayout?: string | null;
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
