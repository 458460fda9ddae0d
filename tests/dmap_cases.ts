/**
 * The dmap golden cases of the Go DTail (tests/testdata/dtail-upstream): one list for every
 * transport (dmap_test.ts serverless, ssh_dmap_test.ts through real dservers).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, type RunResult, UPSTREAM } from "./helpers.ts";
import { append } from "./follower.ts";

export const read = (name: string) => Deno.readTextFileSync(`${UPSTREAM}/${name}`);

export interface Case {
  readonly name: string;
  readonly query: string;
  readonly inputs: string[];
  readonly expected: string;
  /** Rows tied on the order column may come in any order (Go's sort is not stable). */
  readonly tiesUnordered?: boolean;
}

export const mapr = `${UPSTREAM}/mapr_testdata.log`;
export const CASES: Case[] = [
  ...["dmap1a", "dmap1b", "dmap1c", "dmap1d"].map((n) => ({
    name: n,
    query: read(`${n}.csv.query.expected`),
    inputs: [mapr],
    expected: read(`${n}.csv.expected`),
  })),
  {
    name: "dmap2 (order by count)",
    query: read("dmap2.csv.query.expected"),
    inputs: [mapr],
    expected: read("dmap2.csv.expected"),
    tiesUnordered: true,
  },
  {
    name: "dmap3 (the same file 100 times)",
    query: read("dmap3.csv.query.expected"),
    inputs: Array(100).fill(mapr),
    expected: read("dmap3.csv.expected"),
    tiesUnordered: true,
  },
  {
    name: "dmap5 (logformat csv with backticked field names)",
    query: read("dmap5.csv.query.expected"),
    inputs: [`${UPSTREAM}/dmap5.csv.in`],
    expected: read("dmap5.csv.expected"),
  },
];

/** Same header, same rows, and the first (order) column in the same order as expected. */
export function assertSameRowsInSortOrder(got: string, expected: string): void {
  const lines = (s: string) => s.trimEnd().split("\n");
  const [gotHeader, ...gotRows] = lines(got);
  const [wantHeader, ...wantRows] = lines(expected);
  assert.equal(gotHeader, wantHeader);
  assert.deepEqual([...gotRows].sort(), [...wantRows].sort());
  const first = (row: string) => Number(row.split(",")[0]);
  assert.deepEqual(gotRows.map(first), wantRows.map(first));
}

/** The outfile named in a query (relative, as the Go tests wrote them). */
export function outfileOf(query: string): string {
  const m = /outfile\s+(\S+)\s*$/.exec(query.trim());
  if (!m) throw new Error(`no outfile in ${query}`);
  return m[1]!;
}

/** Checks the outfile and .query file a case's run wrote into `dir`. */
export async function assertCaseOutput(c: Case, dir: string): Promise<void> {
  const out = outfileOf(c.query);
  const got = await Deno.readTextFile(`${dir}/${out}`);
  if (c.tiesUnordered) assertSameRowsInSortOrder(got, c.expected);
  else assert.equal(got, c.expected);
  assert.equal(await Deno.readTextFile(`${dir}/${out}.query`), c.query.trim());
}

/** A DTail MapReduce line of the default format. */
export function statsLine(host: string, goroutines: number): string {
  return `INFO|1124-101010|1|stats.go:56|8|${goroutines}|7|0.5|1s|MAPREDUCE:STATS|` +
    `currentConnections=1|host=${host}`;
}

/**
 * `dtail --query … interval 1` on `log` (empty, growing): three bursts of lines 2 s apart must
 * come out as three reports, each with only its own burst (non-cumulative).
 */
export async function assertIntervalReports(
  log: string,
  dtail: (args: string[]) => Promise<RunResult>,
): Promise<void> {
  const query = "from STATS select count($line),max($goroutines) group by host interval 1";
  const tailing = dtail(["--noColor", "--timeout", "9", "--query", query, log]);
  const bursts: [number, number][] = [[3, 10], [5, 20], [2, 30]];
  await new Promise((r) => setTimeout(r, 2500));
  for (const [count, goroutines] of bursts) {
    await append(log, Array(count).fill(statsLine("web01", goroutines)));
    await new Promise((r) => setTimeout(r, 2000));
  }
  const r = await tailing;
  assertNoStackTrace(r.stderr);
  const reports = [...r.text.matchAll(/\n +(\d+) \| +(\d+\.\d+) \n/g)]
    .map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(reports, bursts, r.text);
}
