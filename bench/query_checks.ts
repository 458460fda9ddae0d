/**
 * The query bench's peers and checks (bench/query_beyond.ts): the jq program that does dmap's
 * count/sum/avg, the awk program that finds `--since`'s lines by a linear scan, and the checks
 * that the results agree.
 */
import type { Totals } from "./query_generate.ts";

/** One group's figures: the count of lines, the sum and the average. */
export interface Group {
  readonly count: number;
  readonly sum: number;
  readonly avg: number;
}

/** Group key (the group fields joined by commas) → figures. */
export type Groups = Map<string, Group>;

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** What `select g1,…,count($line),sum(S),avg(A) group by g1,…` computes. */
export interface Aggregation {
  readonly group: readonly string[];
  readonly sum: string;
  readonly avg: string;
}

/**
 * A `jq -n -r` program that reads JSON lines and prints `g1,…,count,sum,avg` per group, like
 * dmap's CSV without its header. Each group is rebuilt in one assignment: of the forms tried, the
 * fastest in jq 1.6 (`|=` and `+=` on paths are 2–4 times slower).
 */
export function jqAggregateProgram(q: Aggregation): string {
  const fields = [...q.group, q.sum, q.avg];
  const bad = fields.find((f) => !FIELD.test(f));
  if (bad !== undefined || q.group.length === 0) {
    throw new Error(`jq program: not a plain field name: ${bad ?? "(no group field)"}`);
  }
  const key = q.group.map((f) => `\\($l.${f})`).join(",");
  return `reduce inputs as $l ({}; "${key}" as $k | .[$k] as $g | ` +
    `.[$k] = {n: ($g.n + 1), s: ($g.s + $l.${q.sum}), t: ($g.t + $l.${q.avg})}) | ` +
    `to_entries[] | "\\(.key),\\(.value.n),\\(.value.s),\\(.value.t / .value.n)"`;
}

/**
 * `g1,…,count,sum,avg` lines (dmap's CSV with `header`, jq's output without) as groups; `fields`
 * is the number of group fields. A line that does not fit is an error naming it.
 */
export function parseGroups(text: string, fields: number, header: boolean): Groups {
  const lines = text.split("\n").filter((l) => l !== "").slice(header ? 1 : 0);
  const groups: Groups = new Map();
  for (const line of lines) {
    const cells = line.split(",");
    const [count, sum, avg] = cells.slice(fields).map(Number);
    if (cells.length !== fields + 3 || ![count, sum, avg].every(Number.isFinite)) {
      throw new Error(`not a group line: ${line}`);
    }
    groups.set(cells.slice(0, fields).join(","), { count: count!, sum: sum!, avg: avg! });
  }
  return groups;
}

/** The groups the generator summed (bench/query_generate.ts). */
export function totalsAsGroups(totals: Totals): Groups {
  const groups: Groups = new Map();
  for (const [key, t] of totals) {
    groups.set(key, { count: t.count, sum: t.sum, avg: t.y / t.count });
  }
  return groups;
}

/** dmap prints averages with 6 decimals. */
const AVG_TOLERANCE = 1e-5;

/** Groups that differ, as "group: what vs expected" texts (empty when all agree). */
export function groupDiffs(actual: Groups, expected: Groups): string[] {
  const keys = [...new Set([...actual.keys(), ...expected.keys()])].sort();
  const show = (g: Group | undefined) => (g ? `${g.count}/${g.sum}/${g.avg}` : "missing");
  return keys.filter((k) => {
    const [a, e] = [actual.get(k), expected.get(k)];
    return a === undefined || e === undefined || a.count !== e.count || a.sum !== e.sum ||
      Math.abs(a.avg - e.avg) > AVG_TOLERANCE;
  }).map((k) => `${k}: ${show(actual.get(k))} vs ${show(expected.get(k))}`);
}

/**
 * The awk program that prints the lines whose leading RFC 3339 time (all in UTC with ms, as the
 * timed log has) is at or after `since`: a string comparison, so a scan of every line.
 */
export const AWK_SINCE = "$1 >= since";

/** The `-v` value for AWK_SINCE: the cutoff in the log's own layout. */
export const awkCutoff = (ms: number) => new Date(ms).toISOString();

/** The timed log as bench/query_generate.ts wrote it. */
export interface TimedLayout {
  readonly bytes: number;
  readonly lines: number;
  readonly firstMs: number;
  readonly stepMs: number;
  readonly lineBytes: number;
}

/** Slack for a `--since` that drops the fraction of a second. */
const SINCE_SLACK_MS = 1000;

/**
 * Whether `outputBytes` of output is the log's tail from the first line at or after the cutoff,
 * the cutoff being `window` ms before some moment between `spawnMs` and `exitMs`: null when it
 * is, else why not. (That the bytes are the file's tail is checked apart.)
 */
export function sinceWindowMiss(
  log: TimedLayout,
  outputBytes: number,
  window: number,
  spawnMs: number,
  exitMs: number,
): string | null {
  if (outputBytes % log.lineBytes !== 0) return `${outputBytes} B is not whole lines`;
  const printed = outputBytes / log.lineBytes;
  const first = log.lines - printed;
  if (first < 0) return `${printed} lines printed, the log has ${log.lines}`;
  const time = (i: number) => Math.floor(log.firstMs + i * log.stepMs);
  if (printed > 0 && time(first) < spawnMs - window - SINCE_SLACK_MS) {
    return `first line printed at ${awkCutoff(time(first))}, before the window`;
  }
  if (first > 0 && time(first - 1) >= exitMs - window) {
    return `line at ${awkCutoff(time(first - 1))} is in the window but was not printed`;
  }
  return null;
}
