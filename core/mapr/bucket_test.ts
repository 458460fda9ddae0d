import assert from "node:assert/strict";
import { fixedZone, UTC } from "../civil_time.ts";
import { GroupSet } from "./aggregate.ts";
import { parseAggregate, serializeGroups } from "./aggregate_wire.ts";
import { BucketStage, bucketStage, FieldTimes } from "./bucket.ts";
import { LineFields } from "./line_fields.ts";
import { Mapper } from "./mapper.ts";
import { parseQuery } from "./query.ts";

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const encoder = new TextEncoder();

function timeOf(times: FieldTimes, text: string): number {
  const bytes = encoder.encode(`xx${text}yy`);
  return times.timeOf(bytes, 2, bytes.length - 2);
}

const TIMES: [string, string][] = [
  ["20261203-100501", "2026-12-03T10:05:01.000Z"],
  ["1203-100501", "2026-12-03T10:05:01.000Z"],
  // No year, after now: last year's.
  ["1231-235959", "2025-12-31T23:59:59.000Z"],
  ["2026-12-03T10:05:01Z", "2026-12-03T10:05:01.000Z"],
  ["2026-12-03T10:05:01.250+02:00", "2026-12-03T08:05:01.250Z"],
  ["2026-12-03 10:05:01,5", "2026-12-03T10:05:01.500Z"],
  ["1796292301", "2026-12-03T10:05:01.000Z"],
  ["1796292301.75", "2026-12-03T10:05:01.750Z"],
  ["1796292301750", "2026-12-03T10:05:01.750Z"],
  ["1796292301750000000", "2026-12-03T10:05:01.750Z"],
  ["[03/Dec/2026:10:05:01 +0000] GET /", "2026-12-03T10:05:01.000Z"],
  ["INFO|20261203-100501|1|x|MAPREDUCE:STATS|a=1", "2026-12-03T10:05:01.000Z"],
  ['{"level":"info","ts":"2026-12-03T10:05:01Z"}', "2026-12-03T10:05:01.000Z"],
  ["level=info time=2026-12-03T10:05:01Z msg=hi", "2026-12-03T10:05:01.000Z"],
];

for (const [text, want] of TIMES) {
  Deno.test(`a field's time is read from ${JSON.stringify(text)}`, () => {
    const times = new FieldTimes(null, { now: NOW, zone: UTC });
    assert.equal(new Date(timeOf(times, text)).toISOString(), want);
  });
}

Deno.test("a field's time without an offset is in the zone given", () => {
  const times = new FieldTimes(null, { now: NOW, zone: fixedZone(60) });
  assert.equal(timeOf(times, "20261203-100501"), Date.UTC(2026, 11, 3, 9, 5, 1));
  assert.equal(timeOf(times, "2026-12-03T10:05:01Z"), Date.UTC(2026, 11, 3, 10, 5, 1));
});

Deno.test("a field without a time reads NaN, and the next one with one still reads", () => {
  const times = new FieldTimes(null, { now: NOW, zone: UTC });
  for (const text of ["", "bad", "12345", "2026-13-03T10:00:00Z", "20261203-25000"]) {
    assert.ok(Number.isNaN(timeOf(times, text)), text);
  }
  assert.equal(timeOf(times, "20261203-100501"), Date.UTC(2026, 11, 3, 10, 5, 1));
  assert.equal(timeOf(times, "1796292301"), Date.UTC(2026, 11, 3, 10, 5, 1));
  assert.equal(timeOf(times, "20261203-100502"), Date.UTC(2026, 11, 3, 10, 5, 2));
});

Deno.test("a time without a year read after New Year's Eve is in the new year", () => {
  let now = Date.UTC(2026, 11, 31, 23, 59, 0);
  const times = new FieldTimes(null, { zone: UTC, clock: () => now });
  assert.equal(timeOf(times, "1231-235930"), Date.UTC(2026, 11, 31, 23, 59, 30));
  now = Date.UTC(2027, 0, 1, 0, 1, 0);
  let t = NaN;
  for (let i = 0; i < 5000; i++) t = timeOf(times, "0101-000030");
  assert.equal(t, Date.UTC(2027, 0, 1, 0, 0, 30));
  assert.equal(timeOf(times, "1231-235930"), Date.UTC(2026, 11, 31, 23, 59, 30));
});

Deno.test("a time layout replaces the built-in ones", () => {
  const times = new FieldTimes("%d.%m.%Y %H:%M:%S", { now: NOW, zone: UTC });
  assert.equal(timeOf(times, "host1 03.12.2026 10:05:01 GET /"), Date.UTC(2026, 11, 3, 10, 5, 1));
  assert.ok(Number.isNaN(timeOf(times, "2026-12-03T10:05:01Z")));
});

/** A LineFields holding one line: `values` by name, bytes unless the name starts with `=`. */
function line(fields: LineFields, values: Record<string, string>): void {
  fields.begin(new Uint8Array(0), null);
  for (const [name, value] of Object.entries(values)) {
    if (name.startsWith("=")) fields.setText(fields.slot(name.slice(1)), value);
    else {
      const bytes = encoder.encode(value);
      fields.setBytes(fields.slot(name), bytes, 0, bytes.length);
    }
  }
}

Deno.test("the bucket stage labels each bucket field with its bucket's start in UTC", () => {
  const query = parseQuery(
    "select bucket($time, 5s),bucket($time, 1h),bucket(ts, 1d) group by bucket($time, 5s)",
  );
  const fields = new LineFields();
  const stage = bucketStage(query, fields, { now: NOW, zone: UTC })!;
  line(fields, { $time: "20261203-100507", ts: "2026-12-04T01:00:00+02:00" });
  assert.equal(stage.apply(), true);
  assert.equal(fields.get("bucket($time, 5s)"), "2026-12-03T10:05:05Z");
  assert.equal(fields.get("bucket($time, 1h)"), "2026-12-03T10:00:00Z");
  assert.equal(fields.get("bucket(ts, 1d)"), "2026-12-03T00:00:00Z");
  line(fields, { $time: "20261203-100509", "=ts": "1796292301" });
  assert.equal(stage.apply(), true);
  assert.equal(fields.get("bucket($time, 5s)"), "2026-12-03T10:05:05Z");
  assert.equal(fields.get("bucket(ts, 1d)"), "2026-12-03T00:00:00Z");
});

Deno.test("the bucket stage fails a line whose time is missing or unreadable", () => {
  const fields = new LineFields();
  const stage = new BucketStage(
    [{ text: "b", field: "$time", widthMs: 60_000 }],
    null,
    fields,
    { now: NOW, zone: UTC },
  );
  line(fields, {});
  assert.equal(stage.apply(), false);
  line(fields, { $time: "yesterday" });
  assert.equal(stage.apply(), false);
  line(fields, { $time: "2026-12-03T10:05:01Z" });
  assert.equal(stage.apply(), true);
  assert.equal(fields.get("b"), "2026-12-03T10:05:00Z");
});

Deno.test("a query without buckets has no bucket stage", () => {
  assert.equal(bucketStage(parseQuery("select count($line)"), new LineFields()), null);
});

Deno.test("the mapper skips and counts lines whose bucket time is unreadable", () => {
  const query = parseQuery(
    "select bucket($time, 1m),count($line),sum(n) group by bucket($time, 1m) logformat logfmt",
  );
  const mapper = new Mapper(query, { serverLogFormat: "default", hostname: "h" });
  const lines = [
    "time=2026-12-03T10:00:01Z n=1",
    "time=2026-12-03T10:00:59.999Z n=2",
    "time=2026-12-03T11:01:00+01:00 n=4",
    "ts=1796292000 n=8",
    "time=soon n=16",
    "n=32",
  ];
  for (const text of lines) mapper.line(text, "s");
  const rows = mapper.groups.rows().map((r) => [
    r.groupKey,
    r.cells.get("bucket($time, 1m)"),
    r.cells.get("count($line)"),
    r.cells.get("sum(n)"),
  ]);
  assert.deepEqual(rows, [
    ["2026-12-03T10:00:00Z", "2026-12-03T10:00:00Z", 3, 11],
    ["2026-12-03T10:01:00Z", "2026-12-03T10:01:00Z", 1, 4],
  ]);
  assert.equal(mapper.malformed, 2);
});

Deno.test("the mapper buckets a set variable's time", () => {
  const query = parseQuery(
    "select count($line) set $t = at group by bucket($t, 1h) logformat generickv",
  );
  const mapper = new Mapper(query, { serverLogFormat: "default", hostname: "h" });
  mapper.line("at=2026-12-03T10:05:01Z|x=1", "s");
  mapper.line("at=2026-12-03T10:55:01Z|x=1", "s");
  assert.deepEqual(mapper.groups.rows().map((r) => [r.groupKey, r.cells.get("count($line)")]), [
    ["2026-12-03T10:00:00Z", 2],
  ]);
});

Deno.test("bucket groups travel in AGGREGATE messages as plain keys and strings", () => {
  const query = parseQuery(
    "select bucket($time, 1m),count($line) group by bucket($time, 1m),$hostname logformat json",
  );
  const server = new Mapper(query, { serverLogFormat: "default", hostname: "web1" });
  server.line('{"time":"2026-12-03T10:00:01Z"}', "s");
  server.line('{"time":"2026-12-03T10:01:01Z"}', "s");
  const client = new GroupSet(query);
  for (const message of serializeGroups(server.groups, "web1")) {
    assert.ok(message.startsWith("AGGREGATE|web1|2026-12-03T10:0"), message);
    client.merge(parseAggregate(message, query)!);
    client.merge(parseAggregate(message, query)!);
  }
  assert.deepEqual(
    client.rows().map((
      r,
    ) => [r.groupKey, r.cells.get("bucket($time, 1m)"), r.cells.get("count($line)")]),
    [
      ["2026-12-03T10:00:00Z,web1", "2026-12-03T10:00:00Z", 2],
      ["2026-12-03T10:01:00Z,web1", "2026-12-03T10:01:00Z", 2],
    ],
  );
});
