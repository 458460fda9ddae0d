import assert from "node:assert/strict";
import { LineBatch } from "../line_batch.ts";
import { GroupSet } from "./aggregate.ts";
import { applySet, passesWhere } from "./evaluate.ts";
import { KEY_CACHE_ENTRIES } from "./key_cache.ts";
import { createParser } from "./logformat.ts";
import { Mapper, neededFields } from "./mapper.ts";
import { effectiveLogFormat, parseQuery } from "./query.ts";
import { seeded } from "./_test_seeded.ts";

const OPTIONS = { serverLogFormat: "default", hostname: "h" };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

const HOSTS = ["web1", "web2", "wéb3", "上游", "a,b", "a", "", "web\u00a0"];
const NUMBERS = [
  "12",
  "1.5",
  "-3",
  "1e3",
  "+4",
  "nan",
  "x",
  "",
  "007",
  "1234567890123456789",
  "0.25",
];
const PATHS = ["/a/1/22", "/a/café/9", "/b/3", "", "/a/x,y/7"];

/** Lines of every kind the map stage meets, as bytes: invalid UTF-8 and odd spaces included. */
function lines(count: number, seed: number): Uint8Array[] {
  const r = seeded(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const tokens = [`host=${pick(r, HOSTS)}`, `v=${pick(r, NUMBERS)}`, `path=${pick(r, PATHS)}`];
    if (r() < 0.2) tokens.push(`b=${pick(r, HOSTS)}`);
    if (r() < 0.1) tokens.splice(Math.floor(r() * tokens.length), 1);
    if (r() < 0.05) tokens.push("oops");
    if (r() < 0.05) tokens.push("v=9");
    tokens.sort(() => r() - 0.5);
    const head = r() < 0.1 ? "WARN" : r() < 0.05 ? " \u3000INFO" : "INFO";
    const time = r() < 0.5 ? "1124-000000" : "20211002-0712é9";
    let text =
      `${head}|${time}|1|s.go:1|${pick(r, ["2", "4", "8"])}|${pick(r, NUMBERS)}|7|0.5|1s|` +
      `MAPREDUCE:${r() < 0.9 ? "STATS" : "OTHER"}|${tokens.join("|")}`;
    if (r() < 0.05) text += pick(r, ["\r", " ", "\u00a0", "\u2028", "|"]);
    let bytes = encoder.encode(text);
    if (r() < 0.1) {
      // An invalid byte in a value: 0xff, or a cut multi-byte character.
      const at = bytes.lastIndexOf(61) + 1;
      bytes = new Uint8Array([
        ...bytes.subarray(0, at),
        pick(r, [0xff, 0xe4, 0xc3]),
        ...bytes.subarray(at),
      ]);
    }
    out.push(bytes);
  }
  return out;
}

/** The lines as one batch of "\n"-ended lines, one selection of all of it. */
function selection(batch: readonly Uint8Array[]) {
  const size = batch.reduce((n, l) => n + l.length + 1, 0);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const line of batch) {
    bytes.set(line, at);
    bytes[at + line.length] = 10;
    at += line.length + 1;
  }
  return { batch: new LineBatch(bytes, 0), regions: [0, size] };
}

const rowsOf = (groups: GroupSet) =>
  JSON.stringify(groups.rows().map((r) => [r.groupKey, [...r.cells]]).sort());

/**
 * The reference: every line decoded, its fields as a map from the format's parser, then
 * evaluate.ts's where and set and GroupSet.add on that map.
 */
function reference(
  queryText: string,
  batch: readonly Uint8Array[],
): { rows: string; malformed: number } {
  const query = parseQuery(queryText);
  const parser = createParser(effectiveLogFormat(query, "default"), {
    hostname: "h",
    needed: neededFields(query),
  });
  const groups = new GroupSet(query);
  let malformed = 0;
  for (const line of batch) {
    const fields = parser.parse(decoder.decode(line), "src");
    if (fields === "skip") continue;
    if (fields === "malformed") {
      malformed++;
      continue;
    }
    if (!passesWhere(query.where, fields)) continue;
    applySet(query.set, fields);
    groups.add(fields);
  }
  return { rows: rowsOf(groups), malformed };
}

const QUERIES = [
  "from STATS select host,$cpus,count($line),sum(v),avg($goroutines),min(v),max(v) group by host,$cpus",
  "from STATS select $route,count($line),avg(v),max(v) where v >= 1 set $route = maskdigits(path) group by $route",
  "from STATS select host,b,count($line),last(path),len(path),percentage(v),percentile(v) group by host,b",
  'from STATS select $k,count($line) where path hasprefix "/a" and host ne "web1" ' +
  "set $k = maskdigits(host), $m = md5sum(path) group by $k,$m",
  "from STATS select $date,$hour,count($line),last($time) where $goroutines > v group by $date,$hour",
  "from STATS select $m,count($line) set $m = maskdigits(nosuchfield) group by $m",
  "select host,count($line),sum(v) group by host logformat generickv",
  "select $line,count($line) logformat generic",
];

Deno.test("the byte map stage aggregates as the text fields with evaluate.ts and GroupSet.add do", () => {
  const batch = lines(4000, 7);
  for (const text of QUERIES) {
    const mapper = new Mapper(parseQuery(text), OPTIONS);
    mapper.selection(selection(batch), "src");
    const expected = reference(text, batch);
    assert.equal(rowsOf(mapper.groups), expected.rows, text);
    assert.equal(mapper.malformed, expected.malformed, `malformed lines of ${text}`);
    assert.ok(mapper.groups.size > 0, `${text} makes groups`);
  }
});

Deno.test("mapping a line's bytes gives what mapping its decoded text gives", () => {
  const batch = lines(3000, 11);
  for (const text of QUERIES) {
    const bytes = new Mapper(parseQuery(text), OPTIONS);
    bytes.selection(selection(batch), "src");
    const decoded = new Mapper(parseQuery(text), OPTIONS);
    for (const line of batch) decoded.line(decoder.decode(line), "src");
    assert.equal(rowsOf(bytes.groups), rowsOf(decoded.groups), text);
    assert.equal(bytes.malformed, decoded.malformed);
  }
});

Deno.test("bucketing a line's bytes gives what bucketing its decoded text gives", () => {
  const batch = lines(3000, 13);
  const text = "from STATS select bucket($time, 1h),count($line),sum(v) " +
    "group by bucket($time, 1h),host";
  const bytes = new Mapper(parseQuery(text), OPTIONS);
  bytes.selection(selection(batch), "src");
  const decoded = new Mapper(parseQuery(text), OPTIONS);
  for (const line of batch) decoded.line(decoder.decode(line), "src");
  assert.equal(rowsOf(bytes.groups), rowsOf(decoded.groups));
  assert.equal(bytes.malformed, decoded.malformed);
  // Half the lines have the time "20211002-0712é9", which no bucket reads.
  const plain = new Mapper(parseQuery("from STATS select count($line) group by *"), OPTIONS);
  plain.selection(selection(batch), "src");
  const counted = bytes.groups.rows().reduce(
    (n, r) => n + (r.cells.get("count($line)") as number),
    0,
  );
  assert.equal(
    counted + bytes.malformed - plain.malformed,
    plain.groups.rows()[0]!.cells.get("count($line)"),
  );
  assert.ok(bytes.malformed - plain.malformed > 1000, `${bytes.malformed} lines without a time`);
  assert.ok(bytes.groups.size > 0);
});

Deno.test("a query's needed fields include the fields its buckets read", () => {
  assert.deepEqual(
    [...neededFields(parseQuery("select count($line) group by bucket(ts, 1m) logformat json"))],
    ["$line", "bucket(ts, 1m)", "ts"],
  );
});

Deno.test("a value with a comma cannot make two group-by values one group of another", () => {
  const mapper = new Mapper(
    parseQuery("select a,b,count($line) group by a,b logformat generickv"),
    OPTIONS,
  );
  for (const line of ["a=x,y|b=z", "a=x|b=y,z", "a=x,y|b=z"]) mapper.line(line, "s");
  const rows = mapper.groups.rows();
  assert.deepEqual(rows.map((r) => [r.groupKey, r.cells.get("a"), r.cells.get("b")]), [
    ["x,y,z", "x,y", "z"],
  ], "one group key, as the text path has it; its last values are the last line's");
  assert.equal(rows[0]!.cells.get("count($line)"), 3);
});

Deno.test("groups taken between batches start anew and merge to the whole", () => {
  const batch = lines(3000, 5);
  // (min and max of "nan" depend on the order of merging: no NaN here)
  const text =
    "from STATS select host,$cpus,count($line),sum($cpus),last(path) group by host,$cpus";
  const whole = new Mapper(parseQuery(text), OPTIONS);
  whole.selection(selection(batch), "src");
  const pieces = new Mapper(parseQuery(text), OPTIONS);
  const merged = new GroupSet(pieces.query);
  for (let i = 0; i < batch.length; i += 700) {
    pieces.selection(selection(batch.slice(i, i + 700)), "src");
    merged.merge(pieces.takeGroups());
  }
  assert.equal(rowsOf(merged), rowsOf(whole.groups));
});

Deno.test("more distinct groups than the key cache holds are all counted", () => {
  const count = KEY_CACHE_ENTRIES + 5000;
  const text = "select id,count($line),sum(v) group by id logformat generickv";
  const mapper = new Mapper(parseQuery(text), OPTIONS);
  const batch = Array.from(
    { length: count * 2 },
    (_, i) => encoder.encode(`id=u${i % count}|v=${i}`),
  );
  mapper.selection(selection(batch), "src");
  assert.equal(mapper.groups.size, count);
  const row = mapper.groups.rows().find((r) => r.groupKey === "u7");
  assert.deepEqual([row?.cells.get("count($line)"), row?.cells.get("sum(v)")], [2, 7 + 7 + count]);
});

Deno.test("every group's last group-by value is its own key, as keys go by text and back", () => {
  // 200,000 new keys: the key cache gives up (keys by text), tries again every 65,536 lines, and
  // the line on which it goes back to bytes must find its value as any other does.
  const count = 200_000;
  const mapper = new Mapper(parseQuery("select id,count($line) group by id logformat generickv"), {
    ...OPTIONS,
  });
  const lines = Array.from({ length: count }, (_, i) => encoder.encode(`id=u${i}`));
  for (let i = 0; i < count; i += 10_000) {
    mapper.selection(selection(lines.slice(i, i + 10_000)), "s");
  }
  const wrong = mapper.groups.rows().filter((r) => r.cells.get("id") !== r.groupKey);
  assert.equal(mapper.groups.size, count);
  assert.deepEqual(wrong.slice(0, 3).map((r) => [r.groupKey, r.cells.get("id")]), []);
});

Deno.test("CSV lines map by the header of their own source", () => {
  const mapper = new Mapper(parseQuery("select a,sum(b) group by a logformat csv"), OPTIONS);
  const one = [encoder.encode("a,b"), encoder.encode("x,1"), encoder.encode("y,2,3")];
  const two = [encoder.encode("b,a"), encoder.encode("5,x"), encoder.encode(" 7,y ")];
  mapper.selection(selection(one), "one");
  mapper.selection(selection(two), "two");
  assert.equal(mapper.malformed, 1);
  assert.deepEqual(
    mapper.groups.rows().map((r) => [r.groupKey, r.cells.get("sum(b)")]),
    [["x", 6], ["y", 7]],
  );
});

Deno.test("a line with more separators than one listing holds maps as the others do", () => {
  const batch = lines(300, 5);
  const long = encoder.encode(
    "INFO|1124-000000|1|s.go:1|8|3|7|0.5|1s|MAPREDUCE:STATS|" + "x=1|".repeat(40_000) +
      "host=long|v=5",
  );
  batch.splice(150, 0, long, long);
  for (const text of [QUERIES[0]!, QUERIES[6]!]) {
    const mapper = new Mapper(parseQuery(text), OPTIONS);
    mapper.selection(selection(batch), "src");
    const expected = reference(text, batch);
    assert.equal(rowsOf(mapper.groups), expected.rows, text);
    assert.ok(rowsOf(mapper.groups).includes('"long"'), `the long lines are counted by ${text}`);
  }
});

/** A mapper that has mapped 500 seeded lines with the query `text`. */
function mapped(text: string): Mapper {
  const mapper = new Mapper(parseQuery(text), OPTIONS);
  mapper.selection(selection(lines(500, 3)), "src");
  return mapper;
}

Deno.test("a mapper's end notes name a misspelt field, table or a where that passed nothing", () => {
  assert.deepEqual(mapped(QUERIES[0]!).endNotes(), [], "every field is in some line");
  const misspelt = mapped("from STATS select count($line),sum(vv)");
  const counted = misspelt.groups.rows()[0]!.cells.get("count($line)"); // every line aggregated
  assert.ok(Number(counted) > 100, `${counted} lines`);
  assert.deepEqual(misspelt.endNotes(), [
    `sum(vv): no line had the field "vv" (${Number(counted)} line(s) aggregated)`,
  ]);
  // (A misspelt table is the read filter's: tests/dmap_serverless_test.ts.)
  const where = mapped('from STATS select count($line) where host eq "nowhere"').endNotes();
  assert.equal(where.length, 1);
  assert.match(
    where[0]!,
    /^none of the \d+ line\(s\) read was aggregated \(see the where clause\)$/,
  );
  const misspeltWhere = mapped("from STATS select count($line) where hots eq nowhere and vv > 1");
  assert.match(
    misspeltWhere.endNotes()[0]!,
    /^none of the \d+ line\(s\) read was aggregated \(see the where clause: no line had the fields "hots", "nowhere", "vv"\)$/,
  );
});

Deno.test("a field named without the $ of the log format's variable gets the variable as a hint", () => {
  // goroutines is the default format's $goroutines; host is a field, so no hint for it.
  const bare = mapped("from STATS select count($line),avg(goroutines) group by host");
  const counted = bare.groups.rows().reduce(
    (n, row) => n + Number(row.cells.get("count($line)")),
    0,
  );
  assert.deepEqual(bare.endNotes(), [
    `avg(goroutines): no line had the field "goroutines" (${counted} line(s) aggregated; ` +
    "did you mean $goroutines?)",
  ]);
  assert.match(
    mapped(`from STATS select count($line) where cpus > 1 and hots eq "web01"`).endNotes()[0]!,
    /\(see the where clause: no line had the fields "cpus", "hots"; did you mean \$cpus\?\)$/,
  );
  assert.deepEqual(mapped("from STATS select avg($goroutines) group by host").endNotes(), []);
});
