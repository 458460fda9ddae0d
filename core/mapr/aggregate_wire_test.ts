import assert from "node:assert/strict";
import { GroupSet } from "./aggregate.ts";
import { formatWireNumber, parseAggregate, serializeGroups } from "./aggregate_wire.ts";
import { line, testQuery } from "./_test_query.ts";
import type { Query, ResultRow } from "./types.ts";

const query = (select: string, groupBy: string[]): Query => testQuery(select, { groupBy });

function table(rows: ResultRow[]): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {};
  for (const row of rows) out[row.groupKey] = Object.fromEntries(row.cells);
  return out;
}

Deno.test("formatWireNumber writes the shortest round-trip digits without an exponent", () => {
  const cases: [number, string][] = [
    [6942, "6942"],
    [0.5, "0.5"],
    [-2.25, "-2.25"],
    [11.628140703517587, "11.628140703517587"],
    [1e21, "1000000000000000000000"],
    [1.5e22, "15000000000000000000000"],
    [1e-7, "0.0000001"],
    [-1.25e-8, "-0.0000000125"],
    [0, "0"],
    [-0, "-0"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [value, want] of cases) assert.equal(formatWireNumber(value), want, String(value));
});

Deno.test("serializeGroups writes one message per group, numbers first, each entry ending in ∥", () => {
  const q = query("count($line),last($time),avg($goroutines),len($time)", ["$hostname"]);
  const set = new GroupSet(q);
  set.add(line({ $hostname: "earth", $line: "l1", $time: "1002-071143", $goroutines: "13" }));
  set.add(line({ $hostname: "earth", $line: "l2", $time: "1002-071949", $goroutines: "14.5" }));
  set.add(line({ $hostname: "mars", $line: "l3" }));
  assert.deepEqual(serializeGroups(set, "web01"), [
    "AGGREGATE|web01|earth∥2∥count($line)≔2∥avg($goroutines)≔27.5∥len($time)≔11∥" +
    "last($time)≔1002-071949∥len($time)≔1002-071949∥",
    "AGGREGATE|web01|mars∥1∥count($line)≔1∥",
  ]);
});

Deno.test("serialize then parse gives the same rows", () => {
  const q = query(
    "count(v),sum(v),min(v),max(v),avg(v),last(s),len(s),percentage(v),percentile(v)",
    ["g", "h"],
  );
  const set = new GroupSet(q);
  const lines = [
    { g: "a", h: "1", v: "1.5", s: "x" },
    { g: "a", h: "1", v: "-3", s: "zz" },
    { g: "b", v: "1e-7", s: "ü" },
    { g: "c", h: "2", s: "only" },
    { g: "c", h: "2", v: "12345678901" },
  ];
  for (const l of lines) set.add(line(l));
  const client = new GroupSet(q);
  for (const message of serializeGroups(set, "host")) {
    const parsed = parseAggregate(message, q);
    assert.ok(parsed !== null, message);
    client.merge(parsed);
  }
  assert.deepEqual(table(client.rows()), table(set.rows()));
});

Deno.test("parseAggregate accepts the payload without the AGGREGATE|host| prefix", () => {
  const q = query("count(x),last(y)", ["*"]);
  const set = parseAggregate("*∥4∥count(x)≔4∥last(y)≔a≔b∥", q);
  assert.ok(set !== null);
  assert.deepEqual(table(set.rows()), { "*": { "count(x)": 4, "last(y)": "a≔b" } });
  assert.equal([...set.groups()][0]![1].samples, 4);
});

Deno.test("parseAggregate takes the string entry of len and recomputes its length", () => {
  const q = query("len(s)", ["*"]);
  const set = parseAggregate("AGGREGATE|h|*∥1∥len(s)≔99∥len(s)≔héllo∥", q);
  assert.deepEqual(table(set!.rows()), { "*": { "len(s)": 6 } });
});

Deno.test("parseAggregate rejects messages with fewer than four parts or bad samples", () => {
  const q = query("count(x)", ["*"]);
  for (
    const message of [
      "AGGREGATE|h|*∥0∥",
      "*∥1",
      "",
      "AGGREGATE|h",
      "*∥x∥count(x)≔1∥",
      "*∥1.5∥count(x)≔1∥",
      "*∥∥count(x)≔1∥",
    ]
  ) {
    assert.equal(parseAggregate(message, q), null, message);
  }
});

Deno.test("parseAggregate ignores entries that are no select item or do not parse", () => {
  const q = query("count(x),sum(y)", ["*"]);
  const set = parseAggregate("*∥2∥other≔1∥sum(y)≔nope∥junk∥", q);
  assert.ok(set !== null);
  assert.equal(set.size, 0);
});
