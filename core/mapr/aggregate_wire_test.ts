import assert from "node:assert/strict";
import { GroupSet } from "./aggregate.ts";
import { formatWireNumber, parseAggregate, serializeGroups } from "./aggregate_wire.ts";
import { line, testQuery } from "./_test_query.ts";
import { parseQuery } from "./query.ts";
import { QUANTILE_ALPHA } from "./sketch_quantile.ts";
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

Deno.test("sketches travel last, in base64, after the numeric and string entries", () => {
  const q = parseQuery("select count(v),p99(v),p50(v),last(s),count_distinct(s) group by *");
  const set = new GroupSet(q);
  set.add(line({ "*": "*", v: "3", s: "x" }));
  set.add(line({ "*": "*", v: "4", s: "y" }));
  const [message] = serializeGroups(set, "web01");
  const parts = message!.split("∥");
  assert.deepEqual(parts.slice(0, 4), ["AGGREGATE|web01|*", "2", "count(v)≔2", "last(s)≔y"]);
  // p50(v) reads p99(v)'s sketch: one entry per field.
  assert.deepEqual(parts.slice(4).map((p) => p.split("≔")[0]), [
    "p99(v)",
    "count_distinct(s)",
    "",
  ]);
  for (const part of parts.slice(4, 6)) assert.match(part.split("≔")[1]!, /^[A-Za-z0-9+/]+=*$/);
  const back = parseAggregate(message!, q)!;
  assert.deepEqual(table(back.rows()), table(set.rows()));
});

Deno.test("the p99 merged from three servers is the p99 of all their values within α", () => {
  const q = parseQuery("select host,p99(latency),count_distinct(user) group by *");
  const all: number[] = [];
  const client = new GroupSet(q);
  let users = 0;
  for (let server = 0; server < 3; server++) {
    const set = new GroupSet(q);
    // Servers of different speeds: their latencies overlap only in part.
    for (let i = 1; i <= 20_000; i++) {
      const latency = ((i * 7919) % 20_000) / 100 * (server + 1) + server * 50;
      all.push(latency);
      set.add(line({ "*": "*", latency: String(latency), user: `u${users++ % 45_000}` }));
    }
    for (const message of serializeGroups(set, `s${server}`)) {
      client.merge(parseAggregate(message, q)!);
    }
  }
  all.sort((a, b) => a - b);
  const exact = all[Math.floor(0.99 * (all.length - 1))]!;
  const p99 = client.rows()[0]!.cells.get("p99(latency)") as number;
  assert.ok(Math.abs(p99 - exact) <= QUANTILE_ALPHA * exact * (1 + 1e-9), `${p99} vs ${exact}`);
  const distinct = client.rows()[0]!.cells.get("count_distinct(user)") as number;
  assert.ok(Math.abs(distinct / 45_000 - 1) <= 0.02, `${distinct}`);
});

Deno.test("a sketch entry that does not decode is skipped like a number that does not parse", () => {
  const q = parseQuery("select count(x),p99(y),count_distinct(z) group by *");
  const set = parseAggregate("*∥2∥count(x)≔2∥p99(y)≔12∥count_distinct(z)≔@@∥", q)!;
  assert.deepEqual(table(set.rows()), {
    "*": { "count(x)": 2, "p99(y)": 0, "count_distinct(z)": 0 },
  });
});
