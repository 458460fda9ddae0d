import assert from "node:assert/strict";
import { MAPR_BUCKET_CAPABILITY } from "../protocol/query_capabilities.ts";
import {
  effectiveLogFormat,
  MAX_QUERY_ITEMS,
  MAX_QUERY_LENGTH,
  MAX_SET_ITEMS,
  MAX_SKETCH_ITEMS,
  parseQuery,
  queryCapabilities,
  QueryError,
  referencedVariables,
  tableFilter,
  usesBuckets,
  usesSketches,
} from "./query.ts";

const UPSTREAM = new URL("../../tests/testdata/dtail-upstream/", import.meta.url);

function assertQueryError(query: string, message: string) {
  assert.throws(() => parseQuery(query), (e: unknown) => {
    assert.ok(e instanceof QueryError);
    assert.equal(e.message, message);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
}

Deno.test("parseQuery reads a minimal query with defaults", () => {
  const q = parseQuery("select $line");
  assert.deepEqual(q, {
    raw: "select $line",
    select: [{ text: "$line", agg: "last", field: "$line" }],
    table: null,
    where: [],
    set: [],
    groupBy: ["$line"],
    orderBy: null,
    interval: 5,
    limit: -1,
    outfile: null,
    logFormat: null,
    buckets: [],
    timeLayout: null,
  });
});

Deno.test("parseQuery reads every aggregation and bare fields as last", () => {
  const aggs = ["count", "sum", "min", "max", "avg", "last", "len", "percentage", "percentile"];
  const q = parseQuery(`select ${aggs.map((a) => `${a}(f${a})`).join(",")}, bare`);
  assert.deepEqual(q.select.map((s) => [s.agg, s.field]), [
    ...aggs.map((a) => [a, `f${a}`]),
    ["last", "bare"],
  ]);
  assert.equal(q.select[0]?.text, "count(fcount)");
});

Deno.test("parseQuery reads a backticked select item as a field read with last", () => {
  const q = parseQuery("select `count($time)`, `from` logformat csv");
  assert.deepEqual(q.select, [
    { text: "count($time)", agg: "last", field: "count($time)" },
    { text: "from", agg: "last", field: "from" },
  ]);
});

Deno.test("parseQuery matches keywords in any case and accepts clauses in any order", () => {
  const a = parseQuery("SELECT count($line) FROM stats GROUP BY $hostname LIMIT 3 Interval 2");
  const b = parseQuery("limit 3 group $hostname interval 2 from STATS select count($line)");
  assert.deepEqual({ ...a, raw: "" }, { ...b, raw: "" });
  assert.equal(a.table, "STATS");
  assert.deepEqual(a.groupBy, ["$hostname"]);
  assert.equal(a.limit, 3);
  assert.equal(a.interval, 2);
});

Deno.test("parseQuery skips the noise words by and and in any case", () => {
  const q = parseQuery("select a GROUP BY a ORDER BY a where x eq y AND z eq w");
  assert.deepEqual(q.groupBy, ["a"]);
  assert.equal(q.orderBy?.key, "a");
  assert.equal(q.where.length, 2);
});

Deno.test("parseQuery lets a later clause overwrite an earlier one", () => {
  const q = parseQuery("select a limit 1 select b, c limit 2 from x from y");
  assert.deepEqual(q.select.map((s) => s.text), ["b", "c"]);
  assert.equal(q.limit, 2);
  assert.equal(q.table, "Y");
});

Deno.test("parseQuery groups by the first select item as written without a group clause", () => {
  // Go uses the storage text: `select count($line)` is one group (upstream multi-file CSV golden).
  assert.deepEqual(parseQuery("select count($line), $time").groupBy, ["count($line)"]);
  assert.deepEqual(parseQuery("select $hostname, count($line)").groupBy, ["$hostname"]);
  assert.deepEqual(parseQuery("select avg(x) group by *").groupBy, ["*"]);
  assert.deepEqual(parseQuery("select avg(x) group a, b").groupBy, ["a", "b"]);
  assert.deepEqual(parseQuery("select avg(x) group by `by`").groupBy, ["by"]);
});

Deno.test("parseQuery reads order (descending) and rorder (ascending) and ignores extras", () => {
  const q = parseQuery("select count($time), $time order by count($time) desc");
  assert.deepEqual(q.orderBy, { key: "count($time)", descending: true });
  const r = parseQuery("select count($time), $time rorder $time");
  assert.deepEqual(r.orderBy, { key: "$time", descending: false });
});

Deno.test("parseQuery rejects an order key that is not exactly a select item", () => {
  assertQueryError(
    "select count($time) order by count($line)",
    'order key is not a select item "count($line)" at position 29',
  );
  assertQueryError("select a order by", 'missing value after "order" at position 9');
});

Deno.test("parseQuery reads outfile with and without append, quoted paths included", () => {
  assert.deepEqual(parseQuery("select a outfile x.csv").outfile, { path: "x.csv", append: false });
  assert.deepEqual(parseQuery("select a outfile append x.csv").outfile, {
    path: "x.csv",
    append: true,
  });
  assert.deepEqual(parseQuery('select a outfile append "my dir/x.csv"').outfile, {
    path: "my dir/x.csv",
    append: true,
  });
  assert.deepEqual(parseQuery("select a outfile append:x.csv").outfile, {
    path: "append:x.csv",
    append: false,
  });
});

Deno.test("parseQuery rejects outfile with a wrong number of tokens", () => {
  assertQueryError(
    "select a outfile foo x.csv",
    'outfile takes [append] PATH, expected "append" but got "foo" at position 17',
  );
  assertQueryError(
    "select a outfile append x y",
    'outfile takes [append] PATH, got extra "y" at position 26',
  );
  assertQueryError("select a outfile", 'missing value after "outfile" at position 9');
});

Deno.test("parseQuery requires integers for limit and interval", () => {
  assert.equal(parseQuery("select a interval -1 limit +7").interval, -1);
  assert.equal(parseQuery("select a limit +7").limit, 7);
  assertQueryError(
    "select count($line) from STATS limit ten",
    'limit needs an integer, got "ten" at position 37',
  );
  assertQueryError("select a interval 1.5", 'interval needs an integer, got "1.5" at position 18');
  assertQueryError("select a limit", 'missing value after "limit" at position 9');
  assertQueryError("select a interval", 'missing value after "interval" at position 9');
  // Go's Atoi range; a timer longer than 2^31-1 ms would fire every millisecond instead.
  assert.equal(parseQuery("select a limit -9223372036854775808").limit, -(2 ** 63));
  assertQueryError(
    "select a limit 9223372036854775808",
    'limit is out of range, got "9223372036854775808" at position 15',
  );
  assert.equal(parseQuery("select a interval 2147483").interval, 2147483);
  assertQueryError(
    "select a interval 2147484",
    'interval is longer than 2147483 seconds, got "2147484" at position 18',
  );
});

Deno.test("parseQuery reads logformat and from", () => {
  const q = parseQuery("select a logformat generickv from `mapreduce`");
  assert.equal(q.logFormat, "generickv");
  assert.equal(q.table, "MAPREDUCE");
  assertQueryError("select a from", 'missing value after "from" at position 9');
  assertQueryError("select a from x y", 'from takes one table, got extra "y" at position 16');
  assertQueryError("select a logformat", 'missing value after "logformat" at position 9');
});

Deno.test("parseQuery reports an unknown leading keyword with its position", () => {
  assertQueryError("selct count($line)", 'unexpected keyword "selct" at position 0');
  assertQueryError('"select" a', 'unexpected keyword "select" at position 0');
});

Deno.test("parseQuery needs at least one select item", () => {
  assertQueryError(
    "from STATS",
    'no select clause: a query needs at least one field (query "from STATS")',
  );
  assertQueryError("select from x", 'missing value after "select" at position 0');
  assertQueryError("", 'no select clause: a query needs at least one field (query "")');
});

Deno.test("parseQuery rejects malformed select aggregations", () => {
  assertQueryError("select foo(x)", 'unknown aggregation "foo" in "foo(x)" at position 7');
  assertQueryError("select COUNT(x)", 'unknown aggregation "COUNT" in "COUNT(x)" at position 7');
  assertQueryError("select count(x", 'cannot parse select aggregation "count(x" at position 7');
  assertQueryError("select sum(a(b))", 'cannot parse select aggregation "sum(a(b))" at position 7');
  assertQueryError(
    "select percentile(latency, 50) group by host",
    'percentile() takes one field (a quantile: p50(f) … p99(f) or quantile(f, q)), got "percentile(latency" at position 7',
  );
  assertQueryError(
    "select count($line),sum(a,b)",
    'sum() takes one field (a quantile: p50(f) … p99(f) or quantile(f, q)), got "sum(a" at position 20',
  );
  assertQueryError("select a, count()", 'empty field name in "count()" at position 10');
});

Deno.test("parseQuery normalises every where operator", () => {
  const ops: [string, string][] = [
    ["==", "=="],
    ["!=", "!="],
    ["<", "<"],
    ["<=", "<="],
    ["=<", "<="],
    [">", ">"],
    [">=", ">="],
    ["=>", ">="],
    ["eq", "eq"],
    ["NE", "ne"],
    ["contains", "contains"],
    ["ncontains", "ncontains"],
    ["lacks", "ncontains"],
    ["hasprefix", "hasprefix"],
    ["nhasprefix", "nhasprefix"],
    ["hassuffix", "hassuffix"],
    ["nhassuffix", "nhassuffix"],
  ];
  for (const [op, normal] of ops) {
    const [c] = parseQuery(`select a where x ${op} y`).where;
    assert.equal(c?.op, normal, op);
  }
});

Deno.test("parseQuery reads where operands as field, string or number", () => {
  const q = parseQuery('select a where $x >= 3.5, 1e3 < y and $s eq "ERROR" `n` == -2 t eq u');
  assert.deepEqual(q.where, [
    { left: { kind: "field", name: "$x" }, op: ">=", right: { kind: "number", value: 3.5 } },
    { left: { kind: "number", value: 1000 }, op: "<", right: { kind: "field", name: "y" } },
    { left: { kind: "field", name: "$s" }, op: "eq", right: { kind: "string", value: "ERROR" } },
    { left: { kind: "field", name: "n" }, op: "==", right: { kind: "number", value: -2 } },
    { left: { kind: "field", name: "t" }, op: "eq", right: { kind: "field", name: "u" } },
  ]);
  assert.deepEqual(parseQuery("select a where").where, []);
  assert.deepEqual(parseQuery('select a where x eq ""').where[0]?.right, {
    kind: "string",
    value: "",
  });
});

Deno.test("parseQuery rejects bad where conditions", () => {
  assertQueryError(
    'select a where x > "3"',
    'numeric comparison needs a number or field, got "3" at position 19',
  );
  assertQueryError("select a where x ~ 3", 'unknown where operator "~" at position 17');
  assertQueryError(
    "select a where x eq",
    'incomplete where condition (arg OP arg) starting with "x" at position 15',
  );
});

Deno.test("parseQuery reads set values: number, string, field and backticked field", () => {
  const q = parseQuery('select $a set $a = 42, $b = "baz" $c = $time, $d = bare $e = `min($x)`');
  assert.deepEqual(q.set, [
    { target: "$a", expr: { kind: "number", text: "42" } },
    { target: "$b", expr: { kind: "string", value: "baz" } },
    { target: "$c", expr: { kind: "field", name: "$time" } },
    { target: "$d", expr: { kind: "field", name: "bare" } },
    { target: "$e", expr: { kind: "field", name: "min($x)" } },
  ]);
});

Deno.test("parseQuery reads set functions, nested innermost last", () => {
  const q = parseQuery("select $m set $m = maskdigits(md5sum($line)), $n = md5sum(7)");
  assert.deepEqual(q.set, [
    {
      target: "$m",
      expr: {
        kind: "call",
        fn: "maskdigits",
        arg: { kind: "call", fn: "md5sum", arg: { kind: "field", name: "$line" } },
      },
    },
    { target: "$n", expr: { kind: "call", fn: "md5sum", arg: { kind: "number", text: "7" } } },
  ]);
});

Deno.test("parseQuery rejects bad set clauses", () => {
  assertQueryError(
    "select a set $a=1",
    'set needs "$var = value" with spaces around "=", got "$a=1" at position 13',
  );
  assertQueryError(
    "select a set a = 1",
    'set needs a $variable on the left, got "a" at position 13',
  );
  assertQueryError(
    "select a set $a == 1",
    'set needs "$var = value" with spaces around "=", got "==" at position 16',
  );
  assertQueryError("select a set $a =", 'missing value after "=" at position 16');
  assertQueryError(
    "select a set $a = upper($x)",
    'unknown function "upper" in "upper($x)" at position 18',
  );
  assertQueryError(
    "select a set $a = md5sum($x",
    'unbalanced parentheses in "md5sum($x" at position 18',
  );
  assertQueryError(
    "select a set $a = md5sum($x))",
    'unbalanced parentheses in "md5sum($x))" at position 18',
  );
  assertQueryError(
    "select a set $a = md5sum()",
    'empty function argument in "md5sum()" at position 18',
  );
});

// See docs/compatibility.md#smaller-fixes.
Deno.test("tableFilter maps no table and . to any line, * to every table", () => {
  assert.equal(tableFilter(parseQuery("select a")), ".");
  assert.equal(tableFilter(parseQuery("select a from .")), ".");
  assert.equal(tableFilter(parseQuery("select a logformat csv")), ".");
  assert.equal(tableFilter(parseQuery("select a from stats")), "\\|MAPREDUCE:STATS\\|");
  const all = new RegExp(tableFilter(parseQuery("select a from *")));
  assert.ok(all.test("INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h|MAPREDUCE:STATS|a=1"));
  assert.ok(all.test("INFO|x|MAPREDUCE:|a=1"));
  assert.ok(!all.test("INFO|x|MAPREDUCE:STATS a=1"));
});

Deno.test("tableFilter reads every line for from * in formats without tables", () => {
  for (const format of ["json", "logfmt", "auto"]) {
    assert.equal(tableFilter(parseQuery(`select a from * logformat ${format}`)), ".", format);
  }
  assert.equal(
    tableFilter(parseQuery("select a from * logformat generickv")),
    "\\|MAPREDUCE:[^|]*\\|",
  );
  assert.equal(tableFilter(parseQuery("select a from x logformat json")), "\\|MAPREDUCE:X\\|");
});

Deno.test("effectiveLogFormat prefers logformat, then generic without from, then the server's", () => {
  assert.equal(effectiveLogFormat(parseQuery("select a from x logformat csv"), "generickv"), "csv");
  assert.equal(effectiveLogFormat(parseQuery("select a"), "generickv"), "generic");
  assert.equal(effectiveLogFormat(parseQuery("select a from x"), "generickv"), "generickv");
  assert.equal(effectiveLogFormat(parseQuery("select a from x")), "default");
  assert.equal(effectiveLogFormat(parseQuery("select a from x"), ""), "default");
});

Deno.test("referencedVariables lists $-variables read anywhere except set targets", () => {
  const q = parseQuery(
    "select count($line), foo, $m group by $hostname where $a eq $b and c > 1 " +
      "set $m = maskdigits(md5sum($time)), $n = $m, $o = `$csv` $p = bar",
  );
  assert.deepEqual(referencedVariables(q), ["$a", "$b", "$csv", "$hostname", "$line", "$time"]);
  assert.deepEqual(referencedVariables(parseQuery("select x group by *")), []);
});

Deno.test("parseQuery parses every upstream .query.expected file", async () => {
  const found: string[] = [];
  for await (const entry of Deno.readDir(UPSTREAM)) {
    if (!entry.name.endsWith(".query.expected")) continue;
    found.push(entry.name);
    const text = (await Deno.readTextFile(new URL(entry.name, UPSTREAM))).trim();
    const q = parseQuery(text);
    assert.ok(q.outfile !== null && q.outfile.path.endsWith(".csv.tmp"), entry.name);
  }
  assert.ok(found.length >= 8, `${found.length} query files`);
});

Deno.test("parseQuery reads the dmap1a query like the Go DTail", async () => {
  const q = parseQuery(await Deno.readTextFile(new URL("dmap1a.csv.query.expected", UPSTREAM)));
  assert.deepEqual(q.select.map((s) => s.text), [
    "count($line)",
    "last($time)",
    "avg($goroutines)",
    "min(concurrentConnections)",
    "max(lifetimeConnections)",
  ]);
  assert.deepEqual(q.groupBy, ["$hostname"]);
  assert.equal(q.table, "STATS");
  assert.deepEqual(q.outfile, { path: "dmap1a.csv.tmp", append: false });
});

Deno.test("parseQuery reads the remaining upstream queries", async () => {
  const read = (name: string) =>
    Deno.readTextFile(new URL(`${name}.csv.query.expected`, UPSTREAM)).then(parseQuery);
  const d1b = await read("dmap1b");
  assert.deepEqual(d1b.where, [{
    left: { kind: "field", name: "lifetimeConnections" },
    op: ">=",
    right: { kind: "number", value: 3 },
  }]);
  const d1c = await read("dmap1c");
  assert.deepEqual(d1c.where[0]?.right, { kind: "string", value: "1002-071949" });
  const d1d = await read("dmap1d");
  assert.deepEqual(d1d.select.map((s) => s.text), [
    "$mask",
    "$md5",
    "$foo",
    "$bar",
    "$baz",
    "last($time)",
  ]);
  assert.deepEqual(d1d.set.map((a) => a.target), ["$mask", "$md5", "$foo", "$bar", "$baz"]);
  const d2 = await read("dmap2");
  assert.deepEqual(d2.orderBy, { key: "count($time)", descending: true });
  assert.deepEqual(d2.groupBy, ["$time"]);
  const d5 = await read("dmap5");
  assert.deepEqual(d5.select.map((s) => s.text), [
    "sum($timecount)",
    "last($time)",
    "min($min_goroutines)",
  ]);
  assert.equal(d5.logFormat, "csv");
  assert.equal(d5.table, null);
  assert.deepEqual(d5.set[0], {
    target: "$timecount",
    expr: { kind: "field", name: "count($time)" },
  });
  assert.deepEqual(referencedVariables(d5), ["$hostname"]);
  const s2 = await read("dserver2");
  assert.equal(s2.interval, 1);
  assert.equal(s2.table, "INTEGRATIONTEST");
  assert.deepEqual(s2.outfile, { path: "./dserver2.csv.tmp", append: false });
});

Deno.test("parseQuery reads the quantile shorthands and count_distinct", () => {
  const q = parseQuery("select p50(lat),p90(lat),p95(lat),p99(lat),count_distinct(user)");
  assert.deepEqual(q.select.map((s) => [s.text, s.agg, s.field, s.quantile]), [
    ["p50(lat)", "quantile", "lat", 0.5],
    ["p90(lat)", "quantile", "lat", 0.9],
    ["p95(lat)", "quantile", "lat", 0.95],
    ["p99(lat)", "quantile", "lat", 0.99],
    ["count_distinct(user)", "count_distinct", "user", undefined],
  ]);
});

Deno.test("parseQuery reads quantile(field, q) as one select item, its text as written", () => {
  const q = parseQuery(
    "select host,quantile(latency, 0.999),quantile(latency,1) group by host " +
      "order by quantile(latency, 0.999)",
  );
  assert.deepEqual(q.select.map((s) => [s.text, s.agg, s.field, s.quantile]), [
    ["host", "last", "host", undefined],
    ["quantile(latency, 0.999)", "quantile", "latency", 0.999],
    ["quantile(latency,1)", "quantile", "latency", 1],
  ]);
  assert.deepEqual(q.orderBy, { key: "quantile(latency, 0.999)", descending: true });
  assert.deepEqual(q.groupBy, ["host"]);
});

Deno.test("parseQuery rejects a quantile without a q in (0, 1] in one line at plan time", () => {
  assertQueryError(
    "select quantile(x, 1.5)",
    'quantile\'s q must be a number in (0, 1], got "1.5" in "quantile(x, 1.5)" at position 7',
  );
  assertQueryError(
    "select quantile(x, 0)",
    'quantile\'s q must be a number in (0, 1], got "0" in "quantile(x, 0)" at position 7',
  );
  assertQueryError(
    "select quantile(x, high)",
    'quantile\'s q must be a number in (0, 1], got "high" in "quantile(x, high)" at position 7',
  );
  assertQueryError(
    "select quantile(x)",
    'quantile needs a field and a q in (0, 1], as quantile(latency, 0.999): "quantile(x)" at ' +
      "position 7",
  );
  assertQueryError(
    "select quantile(x, 0.5, 0.9)",
    "quantile needs a field and a q in (0, 1], as quantile(latency, 0.999): " +
      '"quantile(x, 0.5, 0.9)" at position 7',
  );
  assertQueryError("select quantile(, 0.5)", 'empty field name in "quantile(, 0.5)" at position 7');
  assertQueryError("select p99()", 'empty field name in "p99()" at position 7');
  assertQueryError(
    "select count_distinct()",
    'empty field name in "count_distinct()" at position 7',
  );
  assertQueryError("select p98(x)", 'unknown aggregation "p98" in "p98(x)" at position 7');
});

Deno.test("usesSketches tells queries with quantiles or count_distinct from the others", () => {
  assert.equal(usesSketches(parseQuery("select p99(x) group by h")), true);
  assert.equal(usesSketches(parseQuery("select quantile(x, 0.3)")), true);
  assert.equal(usesSketches(parseQuery("select h,count_distinct(u) group by h")), true);
  assert.equal(usesSketches(parseQuery("select count(x),percentile(x),avg(x)")), false);
});

Deno.test("parseQuery reads bucket() in select and group by as one computed field", () => {
  const q = parseQuery("select bucket($time, 1m),count($line) group by bucket($time,1m)");
  assert.deepEqual(q.buckets, [{ text: "bucket($time, 1m)", field: "$time", widthMs: 60_000 }]);
  assert.deepEqual(q.select[0], {
    text: "bucket($time, 1m)",
    agg: "last",
    field: "bucket($time, 1m)",
  });
  assert.deepEqual(q.groupBy, ["bucket($time, 1m)"]);
  assert.equal(q.timeLayout, null);
});

Deno.test("parseQuery groups by a first select item that is a bucket without group by", () => {
  const q = parseQuery("select bucket( $line , 1h30m ), count($line)");
  assert.deepEqual(q.groupBy, ["bucket( $line , 1h30m )"]);
  assert.deepEqual(q.buckets, [{
    text: "bucket( $line , 1h30m )",
    field: "$line",
    widthMs: 5_400_000,
  }]);
});

Deno.test("parseQuery keeps buckets of other fields or widths apart", () => {
  const q = parseQuery(
    "select bucket($time, 5s),bucket($time, 1m),bucket(ts, 1m) " +
      "group by bucket($time, 60s),$hostname",
  );
  assert.deepEqual(q.buckets?.map((b) => [b.text, b.field, b.widthMs]), [
    ["bucket($time, 5s)", "$time", 5000],
    ["bucket($time, 1m)", "$time", 60_000],
    ["bucket(ts, 1m)", "ts", 60_000],
  ]);
  // 60s is 1m: the same bucket, named as in select.
  assert.deepEqual(q.groupBy, ["bucket($time, 1m)", "$hostname"]);
});

Deno.test("parseQuery names a bucket only in group by by its group-by text", () => {
  const q = parseQuery("select count($line) group by bucket($time, 1d)");
  assert.deepEqual(q.groupBy, ["bucket($time, 1d)"]);
  assert.deepEqual(q.buckets?.map((b) => b.widthMs), [86_400_000]);
  assert.deepEqual(q.select.map((s) => s.field), ["$line"]);
});

Deno.test("parseQuery orders by a bucket written with other spaces than in select", () => {
  const q = parseQuery("select bucket($time, 1m),count($line) rorder by bucket($time,1m)");
  assert.deepEqual(q.orderBy, { key: "bucket($time, 1m)", descending: false });
  assertQueryError(
    "select bucket($time, 1m),count($line) order by bucket($time, 5m)",
    'order key is not a select item "bucket($time, 5m)" at position 47',
  );
});

Deno.test("parseQuery takes a backticked bucket text for a field name", () => {
  const q = parseQuery("select `bucket($time)` group by *");
  assert.deepEqual(q.buckets, []);
  assert.deepEqual(q.select[0], { text: "bucket($time)", agg: "last", field: "bucket($time)" });
});

Deno.test("parseQuery rejects a bucket without a width or of an unknown unit in one line", () => {
  assertQueryError(
    "select bucket($time) group by *",
    'bucket needs a time field and a width, as bucket($time, 1m), got "bucket($time)" at ' +
      "position 7",
  );
  assertQueryError(
    "select count($line) group by bucket($time, 1m, 2m)",
    "bucket needs a time field and a width, as bucket($time, 1m), got " +
      '"bucket($time, 1m, 2m)" at position 29',
  );
  assertQueryError(
    "select count($line) group by bucket($time, 1m",
    'bucket needs a time field and a width, as bucket($time, 1m), got "bucket($time" at ' +
      "position 29",
  );
  assertQueryError(
    "select bucket($time, 1x),count($line)",
    'bucket width "1x": unknown unit "x" (s, m, h, d) in "bucket($time, 1x)" at position 7',
  );
  assertQueryError(
    "select bucket($time, 1),count($line)",
    'bucket width "1": 1 has no unit (s, m, h, d) in "bucket($time, 1)" at position 7',
  );
  assertQueryError(
    "select bucket($time, 0s),count($line)",
    'bucket width "0s": must be more than 0 in "bucket($time, 0s)" at position 7',
  );
  assertQueryError(
    "select bucket($time, 1.5s),count($line)",
    'bucket width "1.5s": must be whole seconds in "bucket($time, 1.5s)" at position 7',
  );
  assertQueryError(
    "select bucket(md5sum($x), 1m)",
    "bucket needs a time field and a width, as bucket($time, 1m), got " +
      '"bucket(md5sum($x)" at position 7',
  );
});

Deno.test("parseQuery reads a timelayout clause and checks the layout", () => {
  const q = parseQuery(
    'select bucket($line, 1m),count($line) timelayout "%d/%m/%Y %H:%M:%S" ' +
      "group by bucket($line, 1m)",
  );
  assert.equal(q.timeLayout, "%d/%m/%Y %H:%M:%S");
  assert.deepEqual(q.groupBy, ["bucket($line, 1m)"]);
  assert.equal(parseQuery("select a TIMELAYOUT %s").timeLayout, "%s");
  assertQueryError(
    'select bucket($line, 1m) timelayout "%Q"',
    'time layout "%Q": unknown directive %Q ' +
      "(known: %Y %y %m %d %e %b %H %M %S %f %z %s %T %F %%), at position 36",
  );
  assertQueryError(
    "select bucket($line, 1m) timelayout %H:%M",
    'time layout "%H:%M": needs a month (%m or %b) and a day (%d or %e), or %s, at position 36',
  );
  assertQueryError(
    'select a timelayout "%s" x',
    'timelayout takes one layout, got extra "x" at position 25',
  );
  assertQueryError("select a timelayout", 'missing value after "timelayout" at position 9');
});

Deno.test("referencedVariables lists the field a bucket reads", () => {
  assert.deepEqual(
    referencedVariables(parseQuery("select count($line) group by bucket($time, 1m)")),
    ["$line", "$time"],
  );
});

Deno.test("queryCapabilities names what only our dservers do", () => {
  assert.deepEqual(queryCapabilities(parseQuery("from STATS select count($line)")), []);
  assert.deepEqual(queryCapabilities(parseQuery("select p99(x) group by *")), ["mapr-sketch-v1"]);
  assert.deepEqual(queryCapabilities(parseQuery("select x logformat logfmt")), [
    "mapr-formats-v1",
  ]);
  assert.deepEqual(
    queryCapabilities(parseQuery("select bucket($time, 1m),count_distinct(u) logformat json")),
    ["mapr-sketch-v1", "mapr-formats-v1", MAPR_BUCKET_CAPABILITY],
  );
  assert.equal(MAPR_BUCKET_CAPABILITY, "mapr-bucket-v1");
  assert.equal(usesBuckets(parseQuery("select count($line) group by bucket($time, 1m)")), true);
  assert.equal(usesBuckets(parseQuery('select a timelayout "%s"')), true);
  assert.equal(usesBuckets(parseQuery("select bucket group by *")), false);
});

// The Go dmap accepts it too (select items count($line), grup, by, $hostname): kept.
Deno.test("parseQuery takes words after the select list for more select items, as Go", () => {
  const q = parseQuery("select count($line) grup by $hostname");
  assert.deepEqual(q.select.map((s) => s.text), ["count($line)", "grup", "by", "$hostname"]);
  assert.deepEqual(q.groupBy, ["count($line)"]);
});

Deno.test("a query longer than its bound or with too many items in a clause is refused", () => {
  const items = (n: number, item: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => item(i)).join(",");
  const many = MAX_QUERY_ITEMS + 1;
  assertQueryError(
    `select count($line) where a == "${"x".repeat(MAX_QUERY_LENGTH)}"`,
    `the query is longer than ${MAX_QUERY_LENGTH} characters`,
  );
  assertQueryError(
    `select ${items(many, (i) => `count(f${i})`)}`,
    `more than ${MAX_QUERY_ITEMS} items in the select clause`,
  );
  assertQueryError(
    `select count($line) group by ${items(many, (i) => `g${i}`)}`,
    `more than ${MAX_QUERY_ITEMS} items in the group by clause`,
  );
  const conditions = Array.from({ length: many }, (_, i) => `f${i} == 1`).join(" and ");
  assertQueryError(
    `select count($line) where ${conditions}`,
    `more than ${MAX_QUERY_ITEMS} items in the where clause`,
  );
  assertQueryError(
    `select ${items(MAX_SKETCH_ITEMS + 1, (i) => `p99(f${i})`)}`,
    `more than ${MAX_SKETCH_ITEMS} quantile and count_distinct items`,
  );
  const sets = Array.from({ length: MAX_SET_ITEMS + 1 }, (_, i) => `$m${i} = maskdigits(a)`);
  assertQueryError(
    `select count($line) set ${sets.join(",")}`,
    `more than ${MAX_SET_ITEMS} assignments in the set clause`,
  );
  assert.equal(parseQuery(`select count($line) set ${sets.slice(1).join(",")}`).set.length, 16);
  // At the bounds a query is taken.
  assert.equal(
    parseQuery(`select ${items(MAX_SKETCH_ITEMS, (i) => `p99(f${i})`)}`).select.length,
    16,
  );
  const q = parseQuery(`select ${items(MAX_QUERY_ITEMS, (i) => `count(f${i})`)}`);
  assert.equal(q.select.length, MAX_QUERY_ITEMS);
});
