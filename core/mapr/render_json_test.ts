import assert from "node:assert/strict";
import { GroupSet } from "./aggregate.ts";
import { jsonCell, JsonReporter, jsonRows } from "./render_json.ts";
import { parseQuery } from "./query.ts";
import { line, testQuery } from "./_test_query.ts";
import type { Query, ResultRow } from "./types.ts";

const row = (groupKey: string, cells: Record<string, number | string>): ResultRow => ({
  groupKey,
  cells: new Map(Object.entries(cells)),
});

/** The lines of one report, parsed. */
function report(query: Query, rows: ResultRow[], n = 1): Record<string, unknown>[] {
  let text = "";
  jsonRows(query, rows, n, (piece) => (text += piece));
  assert.ok(text === "" || text.endsWith("}\n"));
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("a result row is {report, row} with the select texts as keys in select order", () => {
  const q = testQuery("$host,count($line),avg(ms),last(msg)", { groupBy: ["$host"] });
  const got = report(q, [
    row("b", { $host: "b", "count($line)": 3, "avg(ms)": 2.5, "last(msg)": "x" }),
  ]);
  assert.deepEqual(got, [
    { report: 1, row: { $host: "b", "count($line)": 3, "avg(ms)": 2.5, "last(msg)": "x" } },
  ]);
  assert.deepEqual(Object.keys(got[0]!), ["report", "row"]);
  assert.deepEqual(Object.keys(got[0]!.row as object), [
    "$host",
    "count($line)",
    "avg(ms)",
    "last(msg)",
  ]);
});

Deno.test("numeric aggregations are JSON numbers, last is a string even when it looks numeric", () => {
  const q = testQuery("count(x),sum(x),min(x),last(x)");
  assert.equal(jsonCell(q.select[0]!, 12), 12);
  assert.equal(jsonCell(q.select[1]!, 0.1 + 0.2), 0.1 + 0.2, "the full double, not %f");
  assert.equal(jsonCell(q.select[1]!, undefined), 0, "as the table's 0.000000");
  assert.equal(jsonCell(q.select[2]!, "7.5"), 7.5, "a number received as text");
  assert.equal(jsonCell(q.select[2]!, "n/a"), "n/a", "text that is no number stays text");
  assert.equal(jsonCell(q.select[3]!, "42"), "42");
  assert.equal(jsonCell(q.select[3]!, undefined), "");
});

Deno.test("a number that is not finite is null (JSON has no NaN or Infinity)", () => {
  const q = testQuery("sum(x)");
  assert.equal(jsonCell(q.select[0]!, Infinity), null);
  assert.equal(jsonCell(q.select[0]!, -Infinity), null);
  assert.equal(jsonCell(q.select[0]!, NaN), null);
  const got = report(q, [row("a", { "sum(x)": Infinity })]);
  assert.deepEqual(got, [{ report: 1, row: { "sum(x)": null } }]);
});

Deno.test("keys and strings with quotes, control characters and non-ASCII are escaped", () => {
  const q = testQuery("last(m)");
  const text = 'q"uote\\ \t\x1b[0m ünï 😀';
  const got = report(q, [row("a", { "last(m)": text })], 4);
  assert.deepEqual(got, [{ report: 4, row: { "last(m)": text } }]);
  const backticked = testQuery('a"b');
  assert.deepEqual(report(backticked, [row("k", { 'a"b': "v" })]), [
    { report: 1, row: { 'a"b': "v" } },
  ]);
});

Deno.test("rows are sorted as in the table and cut by limit, without the default cap", () => {
  const many = Array.from({ length: 25 }, (_, i) => row(`k${i}`, { "count(k)": i }));
  const q = testQuery("count(k)", { orderBy: { key: "count(k)", descending: true } });
  const all = report(q, many);
  assert.equal(all.length, 25);
  assert.deepEqual(all.slice(0, 3).map((o) => (o.row as Record<string, number>)["count(k)"]), [
    24,
    23,
    22,
  ]);
  assert.equal(report({ ...q, limit: 2 }, many).length, 2);
  assert.equal(report({ ...q, limit: 0 }, many).length, 0);
});

Deno.test("a select text given twice is one key", () => {
  const q = testQuery("count(x),count(x)");
  const [got] = report(q, [row("a", { "count(x)": 2 })]);
  assert.deepEqual(got, { report: 1, row: { "count(x)": 2 } });
});

/** A reporter printing into `printed` and noting warnings into `warned`. */
function reporter(query: Query, cumulative: boolean) {
  const printed: string[] = [];
  const warned: string[] = [];
  const r = new JsonReporter(query, {
    cumulative,
    print: (t) => printed.push(t),
    warn: (m) => warned.push(m),
  });
  const feed = (...values: string[]) => {
    const set = new GroupSet(query);
    for (const v of values) set.add(line({ "*": "*", $line: v, v }));
    r.merge(set);
  };
  const lines = () =>
    printed.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  return { r, printed, warned, feed, lines };
}

Deno.test("a cumulative run prints only its final result", async () => {
  const q = parseQuery("select v, count($line) group by v");
  const { r, feed, lines, printed } = reporter(q, true);
  feed("a", "b", "a");
  await r.report();
  assert.deepEqual(printed, [], "an interval's report prints nothing");
  feed("b");
  await r.report(true);
  assert.deepEqual(lines(), [
    { report: 1, row: { v: "a", "count($line)": 2 } },
    { report: 1, row: { v: "b", "count($line)": 2 } },
  ]);
});

Deno.test("a per-interval run prints each report with rows, numbered, and starts afresh", async () => {
  const q = parseQuery("select v, count($line) group by v");
  const { r, feed, lines } = reporter(q, false);
  feed("a", "a");
  await r.report();
  await r.report(); // nothing came: nothing printed, no number taken
  feed("a");
  await r.report(true);
  assert.deepEqual(lines(), [
    { report: 1, row: { v: "a", "count($line)": 2 } },
    { report: 2, row: { v: "a", "count($line)": 1 } },
  ]);
});

Deno.test("the malformed-line count goes to warn, once per change", async () => {
  const q = parseQuery("select v, count($line) group by v");
  const { r, feed, warned, lines } = reporter(q, true);
  feed("a");
  r.malformed = 2;
  await r.report();
  await r.report();
  r.malformed = 3;
  await r.report(true);
  assert.deepEqual(warned, ["2 malformed log line(s) skipped", "3 malformed log line(s) skipped"]);
  assert.equal(lines().length, 1);
});

Deno.test("with an outfile the CSV is written as without --json, and the rows printed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-json-outfile-" });
  try {
    const q = parseQuery(`select v, count($line) group by v outfile ${dir}/out.csv`);
    const { r, feed, lines, warned } = reporter(q, true);
    feed("a", "b", "a");
    await r.report(true);
    assert.equal(Deno.readTextFileSync(`${dir}/out.csv`), "v,count($line)\na,2\nb,1\n");
    assert.deepEqual(lines().map((o) => o.row), [
      { v: "a", "count($line)": 2 },
      { v: "b", "count($line)": 1 },
    ]);
    assert.deepEqual(warned, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
