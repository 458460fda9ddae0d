/**
 * Random MapReduce queries against the Go dmap (../shared/go-dtail/bin, tests/go_peer_env.ts),
 * serverless on one file of DTail stats lines (the upstream test data and generated lines with
 * more tables, callers, values and some malformed fields): select items of every aggregation,
 * `where` with number and string operators, `set`, `group by`, `order`/`rorder by`, `limit`. Both
 * must write the same CSV header and the same rows (as a set; with `order by`, the order column
 * in the same order; with `limit`, as many rows). The fixed queries of go_peer_test.ts cover the
 * clauses one by one; this walks their combinations. A new seed each run, printed on a failure.
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";
import { GO_BIN, goPeerSkipReason } from "./go_peer_env.ts";
import { mapr } from "./dmap_cases.ts";

const QUERIES = 40;
const NUMBERS = [
  "$goroutines",
  "$cgocalls",
  "$cpus",
  "$loadavg",
  "currentConnections",
  "lifetimeConnections",
  "latency",
  "$pid",
];
const FIELDS = [...NUMBERS, "$time", "$caller", "$severity", "name", "missing"];
const STRING_OPS = ["eq", "ne", "contains", "hasprefix", "hassuffix", "ncontains"];
const NUMBER_OPS = ["==", "!=", "<", "<=", ">", ">="];
const GROUPS = [
  "$time",
  "$goroutines",
  "$cpus",
  "currentConnections",
  "$caller",
  "$time,$goroutines",
  "$severity",
  "name",
  "$cpus,$caller",
];

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T =>
  list[Math.floor(random() * list.length)]!;

/** Stats lines of the default format beside the upstream ones. */
function generatedLines(random: Random): string {
  let out = "";
  for (let i = 0; i < 400; i++) {
    const minute = String(10 + Math.floor(random() * 3)).padStart(2, "0");
    const time = `1002-07${minute}${String(Math.floor(random() * 60)).padStart(2, "0")}`;
    const kv = [
      `currentConnections=${Math.floor(random() * 5)}`,
      `lifetimeConnections=${Math.floor(random() * 50)}`,
    ];
    if (random() < 0.3) kv.push(`latency=${(random() * 100).toFixed(2)}`);
    if (random() < 0.2) kv.push(`name=${pick(random, ["alpha", "beta", "gamma delta", ""])}`);
    if (random() < 0.05) kv.push("bad");
    out += [
      pick(random, ["INFO", "INFO", "WARN"]),
      time,
      1 + Math.floor(random() * 3),
      pick(random, ["stats.go:56", "main.go:12", "x.go:1"]),
      pick(random, [2, 4, 8]),
      Math.floor(random() * 40),
      Math.floor(random() * 9),
      (random() * 2).toFixed(2),
      `1h0m${Math.floor(random() * 60)}s`,
      `MAPREDUCE:${random() < 0.8 ? "STATS" : "FOO"}`,
      ...kv,
    ].join("|") + "\n";
  }
  return out;
}

function randomQuery(random: Random): { query: string; ordered: string | null; limited: boolean } {
  const vars: string[] = [];
  let set = "";
  if (random() < 0.2) {
    const value = ["maskdigits($time)", "md5sum($caller)", "42", '"s"', "$goroutines"];
    set = ` set $x = ${pick(random, value)}`;
    vars.push("$x");
  }
  const items = new Set<string>();
  for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
    const num = pick(random, [...NUMBERS, ...vars]);
    const any = pick(random, [...FIELDS, ...vars]);
    items.add(pick(random, [
      `count(${any})`,
      `sum(${num})`,
      `avg(${num})`,
      `min(${num})`,
      `max(${num})`,
      `last(${any})`,
      any,
      "count($line)",
      `len(${any})`,
      `sum(${any})`,
    ]));
  }
  const select = [...items];
  let query = `from ${pick(random, ["STATS", "STATS", "FOO"])} select ${select.join(",")}`;
  if (random() < 0.4) {
    const conditions: string[] = [];
    for (let n = random() < 0.8 ? 1 : 2; n > 0; n--) {
      if (random() < 0.5) {
        const value = pick(random, ['"1002-071143"', '"stats"', '".go:56"', '"INFO"', '"alpha"']);
        const field = pick(random, ["$time", "$caller", "$severity", "name", "$line"]);
        conditions.push(`${field} ${pick(random, STRING_OPS)} ${value}`);
      } else {
        const value = pick(random, ["3", "0", "10", "0.5", "2", pick(random, NUMBERS)]);
        conditions.push(`${pick(random, NUMBERS)} ${pick(random, NUMBER_OPS)} ${value}`);
      }
    }
    query += ` where ${conditions.join(" and ")}`;
  }
  query += `${set} group by ${pick(random, GROUPS)}`;
  let ordered: string | null = null;
  if (random() < 0.5) {
    ordered = pick(random, select);
    query += ` ${pick(random, ["order", "rorder"])} by ${ordered}`;
  }
  const limited = random() < 0.3;
  if (limited) query += ` limit ${1 + Math.floor(random() * 5)}`;
  return { query, ordered: ordered === null ? null : String(select.indexOf(ordered)), limited };
}

if (goPeerSkipReason !== null) {
  Deno.test({
    name: `dmap against the Go dmap, random queries: skipped (${goPeerSkipReason})`,
    ignore: true,
    fn: () => {},
  });
} else {
  Deno.test("random queries: the Go dmap and ours write the same CSV", async () => {
    const seed = Number(Deno.env.get("DTAIL_DMAP_SEED") ?? Math.floor(Math.random() * 2 ** 31));
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const dir = await Deno.makeTempDir({ prefix: "dtail-dmap-diff-" });
    try {
      const input = `${dir}/stats.log`;
      await Deno.writeTextFile(input, Deno.readTextFileSync(mapr) + generatedLines(random));
      const differences: string[] = [];
      let withRows = 0;
      const queries = Array.from({ length: QUERIES }, () => randomQuery(random));
      let next = 0;
      const worker = async () => {
        while (next < queries.length) {
          const n = next++;
          const { query, ordered, limited } = queries[n]!;
          const [go, ours] = await Promise.all([
            csvOf(`${dir}/go${n}.csv`, (q) => goDmap(q, input, dir), query),
            csvOf(
              `${dir}/ours${n}.csv`,
              (q) => run("dmap", ["--plain", "--query", q, input], { env: { HOME: dir } }),
              query,
            ),
          ]);
          if (go.length > 1) withRows++;
          const why = difference(go, ours, ordered, limited);
          if (why !== null) differences.push(`${query}: ${why}`);
        }
      };
      await Promise.all([worker(), worker()]);
      assert.deepEqual(differences, [], `seed ${seed} (DTAIL_DMAP_SEED)`);
      assert.ok(withRows >= QUERIES / 2, `only ${withRows} queries had rows`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** The CSV lines a run writes for `query` with an outfile (none when it wrote none). */
async function csvOf(
  out: string,
  runIt: (query: string) => Promise<{ code: number; stderr: string }>,
  query: string,
): Promise<string[]> {
  const r = await runIt(`${query} outfile ${out}`);
  const text = await Deno.readTextFile(out).catch(() => null);
  assert.ok(text !== null, `${query}: no outfile (exit ${r.code}) ${r.stderr.slice(0, 300)}`);
  return text.trimEnd().split("\n");
}

async function goDmap(query: string, input: string, home: string) {
  const out = await new Deno.Command(`${GO_BIN}/dmap`, {
    args: ["--plain", "--cfg", "none", "--query", query, input],
    cwd: home,
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Why two CSVs differ, or null (`ordered`: the index of the order column). */
function difference(go: string[], ours: string[], ordered: string | null, limited: boolean) {
  const [goHeader, ...goRows] = go;
  const [ourHeader, ...ourRows] = ours;
  if (goHeader !== ourHeader) return `header ${goHeader} / ${ourHeader}`;
  if (goRows.length !== ourRows.length) return `${goRows.length} rows / ${ourRows.length}`;
  const column = (rows: string[]) => rows.map((r) => r.split(",")[Number(ordered)]);
  if (ordered !== null && JSON.stringify(column(goRows)) !== JSON.stringify(column(ourRows))) {
    return `order ${column(goRows).join(" ")} / ${column(ourRows).join(" ")}`;
  }
  // With a limit, rows tied with the last one kept may be others (Go's sort is not stable).
  if (limited) return null;
  const sorted = (rows: string[]) => JSON.stringify([...rows].sort());
  return sorted(goRows) === sorted(ourRows)
    ? null
    : `rows ${goRows.join(" ")} / ${ourRows.join(" ")}`;
}
