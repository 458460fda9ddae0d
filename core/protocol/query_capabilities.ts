/**
 * The capabilities that announce what a dserver of ours does beyond DTail's query language and
 * reads (issue 17; docs/protocol.md#capabilities). A job that uses any of it goes only to servers
 * that announced it: a Go dserver would reject the query, or worse, answer it differently.
 */
/** `p50` … `p99`, `quantile(f, q)`, `count_distinct(f)`: sketches in the AGGREGATE message. */
export const MAPR_SKETCH_CAPABILITY = "mapr-sketch-v1";
/** `logformat json`, `logfmt` and `auto`. */
export const MAPR_FORMATS_CAPABILITY = "mapr-formats-v1";
/** `bucket(field, width)` and `timelayout`. */
export const MAPR_BUCKET_CAPABILITY = "mapr-bucket-v1";

/** `since` and `until` options of the read commands (`--since`, `--until`). */
export const TIME_RANGE_CAPABILITY = "time-range-v1";

/** The log formats only our dservers know. */
export const OUR_LOG_FORMATS: ReadonlySet<string> = new Set(["json", "logfmt", "auto"]);

/** The refusal for a server without `missing` (one line, as the journal targets' refusal). */
export function missingCapabilityReason(missing: readonly string[]): string {
  return `this job needs server capability ${missing.join(" and ")}, which only a DTail for Deno ` +
    "dserver has";
}
