import assert from "node:assert/strict";
import { GroupSet } from "./aggregate.ts";
import { line, testQuery } from "./_test_query.ts";
import { Mapper } from "./mapper.ts";
import { parseQuery } from "./query.ts";
import { QUANTILE_ALPHA } from "./sketch_quantile.ts";
import type { ResultRow } from "./types.ts";
import { seeded } from "./_test_seeded.ts";

const query = testQuery;

function table(rows: ResultRow[]): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  for (const row of rows) out[row.groupKey] = Object.fromEntries(row.cells);
  return out;
}

function feed(set: GroupSet, lines: Record<string, string>[]): GroupSet {
  for (const l of lines) set.add(line(l));
  return set;
}

Deno.test("count counts lines that have the field, whatever its value", () => {
  const set = feed(new GroupSet(query("count(x)", { groupBy: ["*"] })), [
    { "*": "*", x: "1" },
    { "*": "*", x: "not a number" },
    { "*": "*", x: "" },
    { "*": "*", y: "1" },
  ]);
  assert.deepEqual(table(set.rows()), { "*": { "count(x)": 3 } });
});

Deno.test("sum, min, max and avg aggregate numeric values", () => {
  const q = query("sum(v),min(v),max(v),avg(v)", { groupBy: ["g"] });
  const set = feed(new GroupSet(q), [
    { g: "a", v: "2" },
    { g: "a", v: "-1.5" },
    { g: "a", v: "10" },
    { g: "b", v: "4" },
  ]);
  assert.deepEqual(table(set.rows()), {
    a: { "sum(v)": 10.5, "min(v)": -1.5, "max(v)": 10, "avg(v)": 3.5 },
    b: { "sum(v)": 4, "min(v)": 4, "max(v)": 4, "avg(v)": 4 },
  });
});

Deno.test("a non-numeric value skips only that select item of the line", () => {
  const q = query("count(v),sum(v),last(v)", { groupBy: ["*"] });
  const set = feed(new GroupSet(q), [
    { "*": "*", v: "3" },
    { "*": "*", v: "three" },
  ]);
  assert.deepEqual(table(set.rows()), {
    "*": { "count(v)": 2, "sum(v)": 3, "last(v)": "three" },
  });
});

Deno.test("values that are not numbers are counted per select item, across takeAll", () => {
  const q = parseQuery("select count(v),sum(v),max(v),p50(v),last(v) group by g");
  const set = feed(new GroupSet(q), [
    { g: "a", v: "3" },
    { g: "a", v: "three" },
    { g: "a" },
  ]);
  set.takeAll().add(line({ g: "a", v: "four" }));
  set.add(line({ g: "a", v: "five" }));
  assert.deepEqual(set.skipped.takeNotes(), [
    'sum(v): skipped 3 value(s) that are not numbers (the first: "three")',
    'max(v): skipped 3 value(s) that are not numbers (the first: "three")',
    'p50(v): skipped 3 value(s) that are not numbers (the first: "three")',
  ]);
});

Deno.test("the byte map stage (addLine) counts the values add counts as not numbers", () => {
  const q = parseQuery("select g,sum(v),min(v) group by g logformat generickv");
  const lines = ["g=a|v=1", "g=a|v=x1", "g=b|v=2.5e3", "g=b|v=", "g=b|v=NaN", "g=b|v=12ms"];
  const mapper = new Mapper(q, { serverLogFormat: "default", hostname: "h" });
  for (const l of lines) mapper.line(l, "src");
  const reference = new GroupSet(q);
  for (const l of lines) {
    reference.add(line(Object.fromEntries(l.split("|").map((kv) => kv.split("=", 2)))));
  }
  const notes = mapper.takeSkippedNotes();
  assert.deepEqual(notes, reference.skipped.takeNotes());
  assert.deepEqual(notes, [
    'sum(v): skipped 3 value(s) that are not numbers (the first: "x1")',
    'min(v): skipped 3 value(s) that are not numbers (the first: "x1")',
  ]);
});

Deno.test("avg divides by the group's samples, lines where any select item aggregated", () => {
  const q = query("count($line),avg(v)", { groupBy: ["*"] });
  const set = feed(new GroupSet(q), [
    { "*": "*", $line: "a", v: "6" },
    { "*": "*", $line: "b" }, // no v, but a sample
    { "*": "*", $line: "c", v: "x" }, // v not numeric, still a sample
    { "*": "*", nothing: "" }, // no select field: not a sample
  ]);
  assert.deepEqual(table(set.rows()), { "*": { "count($line)": 3, "avg(v)": 2 } });
});

Deno.test("last keeps the latest value and len the byte length of the latest value", () => {
  const q = query("last(s),len(s),$time", { groupBy: ["*"] });
  const set = feed(new GroupSet(q), [
    { "*": "*", s: "a long value", $time: "1" },
    { "*": "*", s: "é€", $time: "2" },
  ]);
  assert.deepEqual(table(set.rows()), { "*": { "last(s)": "é€", "len(s)": 5, $time: "2" } });
});

Deno.test("never-seen fields render as 0 for numbers and empty for last", () => {
  const q = query("count(a),sum(b),min(b),max(b),avg(b),len(b),last(b)", { groupBy: ["*"] });
  const set = feed(new GroupSet(q), [{ "*": "*", a: "1" }]);
  assert.deepEqual(table(set.rows()), {
    "*": {
      "count(a)": 1,
      "sum(b)": 0,
      "min(b)": 0,
      "max(b)": 0,
      "avg(b)": 0,
      "len(b)": 0,
      "last(b)": "",
    },
  });
});

Deno.test("a line that aggregates nothing creates no group", () => {
  const set = feed(new GroupSet(query("sum(v)", { groupBy: ["g"] })), [
    { g: "a", v: "x" },
    { g: "b" },
  ]);
  assert.equal(set.size, 0);
});

Deno.test("the group key joins the group-by values with commas, missing ones empty", () => {
  const set = feed(new GroupSet(query("count(x)", { groupBy: ["a", "b", "c"] })), [
    { x: "1", a: "1", b: "2", c: "3" },
    { x: "1", a: "1", c: "3" },
    { x: "1" },
  ]);
  assert.deepEqual([...set.groups()].map(([key]) => key), ["1,2,3", "1,,3", ",,"]);
});

Deno.test("percentage and percentile are computed across groups", () => {
  const q = query("percentage(v),percentile(v)", { groupBy: ["g"] });
  const set = feed(new GroupSet(q), [
    { g: "a", v: "10" },
    { g: "b", v: "25" },
    { g: "b", v: "5" },
    { g: "c", v: "20" },
  ]);
  const rows = table(set.rows());
  const round = (n: unknown) => Math.round((n as number) * 100) / 100;
  assert.deepEqual(Object.keys(rows), ["a", "b", "c"]);
  assert.deepEqual(Object.values(rows).map((r) => round(r["percentage(v)"])), [16.67, 50, 33.33]);
  assert.deepEqual(Object.values(rows).map((r) => round(r["percentile(v)"])), [33.33, 100, 66.67]);
});

Deno.test("percentage is 0 when all groups sum to 0", () => {
  const set = feed(new GroupSet(query("percentage(v)", { groupBy: ["*"] })), [
    { "*": "*", v: "0" },
  ]);
  assert.deepEqual(table(set.rows()), { "*": { "percentage(v)": 0 } });
});

Deno.test("avg with zero samples gives 0, not NaN", () => {
  const set = new GroupSet(query("avg(v)", { groupBy: ["*"] }));
  assert.equal(set.addAggregated("*", 0, new Map([["avg(v)", "5"]])), true);
  assert.deepEqual(table(set.rows()), { "*": { "avg(v)": 0 } });
});

Deno.test("count renders as an integer", () => {
  const set = new GroupSet(query("count(v)", { groupBy: ["*"] }));
  set.addAggregated("*", 1, new Map([["count(v)", "2.75"]]));
  assert.deepEqual(table(set.rows()), { "*": { "count(v)": 2 } });
});

const MIXED = [
  { g: "a", v: "1", s: "x" },
  { g: "b", v: "5", s: "y" },
  { g: "a", v: "-3", s: "z" },
  { g: "a", s: "w" },
  { g: "c", v: "7" },
  { g: "b", v: "bad", s: "v" },
];
const ALL = "count(v),sum(v),min(v),max(v),avg(v),last(s),len(s),percentage(v),percentile(v)";

Deno.test("merging two sets equals one set fed all lines", () => {
  const q = query(ALL, { groupBy: ["g"] });
  const whole = feed(new GroupSet(q), MIXED);
  const first = feed(new GroupSet(q), MIXED.slice(0, 3));
  const second = feed(new GroupSet(q), MIXED.slice(3));
  first.merge(second);
  assert.deepEqual(table(first.rows()), table(whole.rows()));
  assert.equal(first.size, 3);
});

Deno.test("merge keeps min and max of groups the other set never saw values for", () => {
  const q = query("min(v),max(v),count(s)", { groupBy: ["*"] });
  const ours = feed(new GroupSet(q), [{ "*": "*", v: "5" }]);
  ours.merge(feed(new GroupSet(q), [{ "*": "*", s: "only s" }]));
  assert.deepEqual(table(ours.rows()), { "*": { "min(v)": 5, "max(v)": 5, "count(s)": 1 } });
});

Deno.test("takeAll moves every group out and leaves the set empty", () => {
  const set = feed(new GroupSet(query(ALL, { groupBy: ["g"] })), MIXED);
  const before = table(set.rows());
  const taken = set.takeAll();
  assert.equal(set.size, 0);
  assert.deepEqual(set.rows(), []);
  assert.deepEqual(table(taken.rows()), before);
  set.add(line({ g: "z", v: "1" }));
  assert.equal(taken.size, 3);
  assert.equal(set.size, 1);
});

Deno.test("addAggregated adds counts, skips bad numbers and unknown keys, recomputes len", () => {
  const set = new GroupSet(query("count(v),sum(v),len(s)", { groupBy: ["*"] }));
  assert.equal(set.addAggregated("k", 3, new Map([["other", "1"]])), false);
  assert.equal(set.size, 0);
  set.addAggregated("k", 3, new Map([["count(v)", "3"], ["sum(v)", "x"], ["len(s)", "héllo"]]));
  set.addAggregated("k", 2, new Map([["count(v)", "2"], ["sum(v)", "1.5"]]));
  assert.deepEqual(table(set.rows()), { k: { "count(v)": 5, "sum(v)": 1.5, "len(s)": 6 } });
  assert.equal([...set.groups()][0]![1].samples, 5);
});

Deno.test("select items with the same text share one aggregation", () => {
  const set = feed(new GroupSet(query("count(v),count(v)", { groupBy: ["*"] })), [
    { "*": "*", v: "1" },
  ]);
  assert.equal(set.slots.length, 1);
  assert.deepEqual(table(set.rows()), { "*": { "count(v)": 1 } });
});

/** The value of rank ⌊q·(n − 1)⌋ of the values: what a quantile sketch approximates. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function assertNear(got: unknown, want: number, what: string) {
  assert.equal(typeof got, "number", what);
  const bound = QUANTILE_ALPHA * Math.abs(want) * (1 + 1e-9);
  assert.ok(Math.abs((got as number) - want) <= bound, `${what}: got ${got}, exact ${want}`);
}

const SKETCHES = "select g,p50(v),p99(v),quantile(v, 0.999),count_distinct(u) group by g";

/** Lines of groups a and b: v lognormal-ish, u one of `users` names. */
function sketchLines(n: number, seed: number, users: number): Record<string, string>[] {
  const random = seeded(seed);
  return Array.from({ length: n }, () => ({
    g: random() < 0.5 ? "a" : "b",
    v: String(Math.round(Math.exp(random() * 8) * 1000) / 1000),
    u: `user${Math.floor(random() * users)}`,
  }));
}

function assertSketchRows(rows: ResultRow[], lines: Record<string, string>[]) {
  for (const row of rows) {
    const mine = lines.filter((l) => l.g === row.groupKey);
    const values = mine.map((l) => Number(l.v));
    assertNear(row.cells.get("p50(v)"), exactQuantile(values, 0.5), `${row.groupKey} p50`);
    assertNear(row.cells.get("p99(v)"), exactQuantile(values, 0.99), `${row.groupKey} p99`);
    assertNear(
      row.cells.get("quantile(v, 0.999)"),
      exactQuantile(values, 0.999),
      `${row.groupKey} p99.9`,
    );
    const distinct = new Set(mine.map((l) => l.u)).size;
    const estimate = row.cells.get("count_distinct(u)") as number;
    assert.ok(Number.isInteger(estimate));
    assert.ok(Math.abs(estimate / distinct - 1) <= 0.02, `${estimate} for ${distinct}`);
  }
}

Deno.test("quantiles are within α of the exact ones, count_distinct within 2%, per group", () => {
  const lines = sketchLines(20_000, 3, 5000);
  const set = feed(new GroupSet(parseQuery(SKETCHES)), lines);
  assert.equal(set.size, 2);
  assertSketchRows(set.rows(), lines);
});

Deno.test("merged sets give the quantiles of one set fed every line", () => {
  const lines = sketchLines(9000, 5, 100_000);
  const q = parseQuery(SKETCHES);
  const whole = feed(new GroupSet(q), lines);
  const merged = new GroupSet(q);
  for (let part = 0; part < 3; part++) {
    merged.merge(feed(new GroupSet(q), lines.filter((_, i) => i % 3 === part)));
  }
  assert.deepEqual(table(merged.rows()), table(whole.rows()));
  assertSketchRows(merged.rows(), lines);
});

Deno.test("count_distinct counts small sets exactly, whatever the values", () => {
  const set = feed(new GroupSet(parseQuery("select count_distinct(u) group by *")), [
    { "*": "*", u: "alice" },
    { "*": "*", u: "bob" },
    { "*": "*", u: "alice" },
    { "*": "*", u: "" },
    { "*": "*", u: "ünïcode" },
    { "*": "*", v: "no u" },
  ]);
  assert.deepEqual(table(set.rows()), { "*": { "count_distinct(u)": 4 } });
});

Deno.test("a value that is no finite number skips a quantile item only", () => {
  const q = parseQuery("select count($line),p99(v),avg(v) group by *");
  const set = feed(new GroupSet(q), [
    { "*": "*", $line: "1", v: "10" },
    { "*": "*", $line: "2", v: "NaN" },
    { "*": "*", $line: "3", v: "+Inf" },
    { "*": "*", $line: "4", v: "ten" },
  ]);
  const cells = table(set.rows())["*"]!;
  assert.equal(cells["count($line)"], 4);
  assert.equal(cells["p99(v)"], 10);
});

Deno.test("a group never fed a quantile or count_distinct value shows 0 for them", () => {
  const q = parseQuery("select g,count($line),p99(v),count_distinct(u) group by g");
  const set = feed(new GroupSet(q), [{ g: "a", $line: "x" }]);
  assert.deepEqual(table(set.rows()), {
    a: { g: "a", "count($line)": 1, "p99(v)": 0, "count_distinct(u)": 0 },
  });
});

Deno.test("the quantiles of one field share one sketch, fed once", () => {
  const q = parseQuery("select p50(v),p90(v),quantile(v, 0.25),p99(w) group by *");
  const set = new GroupSet(q);
  for (let i = 1; i <= 100; i++) set.add(line({ "*": "*", v: String(i), w: String(-i) }));
  const [, group] = [...set.groups()][0]!;
  assert.equal(group.sketches.filter((s) => s !== undefined).length, 2, "one for v, one for w");
  const cells = table(set.rows())["*"]!;
  assertNear(cells["p50(v)"], 50, "p50");
  assertNear(cells["p90(v)"], 90, "p90");
  assertNear(cells["quantile(v, 0.25)"], 25, "p25");
  assertNear(cells["p99(w)"], -2, "p99 of negatives"); // rank 98 of -100 … -1
});

Deno.test("exported columns carry the sketches through a structured clone", () => {
  const lines = sketchLines(3000, 9, 800);
  const q = parseQuery(SKETCHES);
  const set = feed(new GroupSet(q), lines);
  const columns = structuredClone(set.exportColumns());
  const imported = new GroupSet(q).importColumns(columns);
  assert.deepEqual(table(imported.rows()), table(set.rows()));
});

Deno.test("addAggregated merges sketches and skips one that does not decode", () => {
  const q = parseQuery("select p99(v),count_distinct(u) group by *");
  const server = feed(new GroupSet(q), [{ "*": "*", v: "5", u: "x" }]);
  const [, group] = [...server.groups()][0]!;
  const p99 = group.sketches[0]!.toBase64();
  const distinct = group.sketches[1]!.toBase64();
  const client = new GroupSet(q);
  client.addAggregated("*", 1, new Map([["p99(v)", p99], ["count_distinct(u)", distinct]]));
  const junk = new Map([["p99(v)", "7"], ["count_distinct(u)", "garbage!"]]);
  assert.equal(client.addAggregated("*", 1, junk), false);
  assert.equal(client.addAggregated("*", 1, new Map([["p99(v)", distinct]])), false);
  assert.deepEqual(table(client.rows()), { "*": { "p99(v)": 5, "count_distinct(u)": 1 } });
  assert.equal([...client.groups()][0]![1].samples, 1);
});

Deno.test("the byte map stage (addLine) gives the sketches that add gives", () => {
  const text = "select g,p50(v),p99(v),count_distinct(u),count_distinct(g) group by g " +
    "logformat generickv";
  const q = parseQuery(text);
  const random = seeded(17);
  const names = ["alice", "bob", "grüße", "日本", "🎉", "a b", ""];
  const lines = Array.from({ length: 5000 }, (_, i) => ({
    g: names[i % 3]!,
    v: String(Math.floor(random() * 1e6) / 100),
    u: `${names[Math.floor(random() * names.length)]}${Math.floor(random() * 300)}`,
  }));
  const mapper = new Mapper(q, { serverLogFormat: "default", hostname: "h" });
  for (const l of lines) mapper.line(`g=${l.g}|v=${l.v}|u=${l.u}`, "src");
  const reference = feed(new GroupSet(q), lines);
  assert.deepEqual(table(mapper.groups.rows()), table(reference.rows()));
  assert.equal(mapper.groups.rows()[0]!.cells.get("count_distinct(g)"), 1);
});

Deno.test("a group set counts the characters of its keys and last strings, and they move with it", () => {
  const q = parseQuery("select last(s),len(s),count(v) group by g");
  const set = feed(new GroupSet(q), [
    { g: "aa", s: "xyz", v: "1" },
    { g: "bbbb", s: "12345", v: "1" },
    { g: "aa", s: "x", v: "1" }, // replaces "xyz": 2 fewer, twice (last and len)
  ]);
  assert.equal(set.chars, 2 + 4 + 2 * 5 + 2 * 1);
  const copy = set.importColumns(set.exportColumns());
  assert.equal(copy.chars, set.chars);
  const merged = new GroupSet(q);
  merged.merge(feed(new GroupSet(q), [{ g: "c", s: "yy", v: "1" }]));
  merged.merge(copy);
  assert.equal(merged.chars, 1 + 2 * 2 + 18);
  const taken = merged.takeAll();
  assert.deepEqual([taken.chars, merged.chars], [23, 0]);
});
