import assert from "node:assert/strict";
import { GroupSet, utf8Length } from "./aggregate.ts";
import { line, testQuery } from "./_test_query.ts";
import type { ResultRow } from "./types.ts";

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

Deno.test("utf8Length counts UTF-8 bytes like Go's len", () => {
  assert.equal(utf8Length(""), 0);
  assert.equal(utf8Length("abc"), 3);
  assert.equal(utf8Length("é"), 2);
  assert.equal(utf8Length("€"), 3);
  assert.equal(utf8Length("😀"), 4);
  assert.equal(utf8Length("\ud800"), 3);
});
