import assert from "node:assert/strict";
import { CSV_VARIABLES, CsvParser } from "./format_csv.ts";
import { COMMON_FIELDS, UTC } from "./_test_fields.ts";
import { renderCsv } from "./render.ts";
import { testQuery } from "./_test_query.ts";

const UPSTREAM = new URL("../../tests/testdata/dtail-upstream/", import.meta.url);
const read = (name: string) =>
  Deno.readTextFileSync(new URL(name, UPSTREAM)).split("\n").filter((l) => l !== "");
const NEEDED = new Set(["col_label", "col_value"]);

Deno.test("the csv parser skips the header and maps columns by header name", () => {
  const [header, first] = read("dmap5.csv.in");
  const p = new CsvParser("h1", null, UTC);
  assert.equal(p.parse(header!, "dmap5.csv"), "skip");
  assert.deepEqual(
    p.parse(first!, "dmap5.csv"),
    new Map([
      ...COMMON_FIELDS,
      ["$line", "23,1002-071147,16.000000,14.391304,12.000000"],
      ["count($time)", "23"],
      ["$time", "1002-071147"],
      ["max($goroutines)", "16.000000"],
      ["avg($goroutines)", "14.391304"],
      ["min($goroutines)", "12.000000"],
    ]),
  );
});

Deno.test("the csv parser keeps one header per source id", () => {
  const p = new CsvParser("h1", NEEDED, UTC);
  const a = read("dmap_csv_multifile_a.csv.in");
  const b = read("dmap_csv_multifile_b.csv.in");
  const rows: string[] = [];
  for (const [source, lines] of [["a.csv", a], ["b.csv", b]] as const) {
    for (const line of lines) {
      const fields = p.parse(line, source);
      if (fields instanceof Map) rows.push(`${fields.get("col_label")}=${fields.get("col_value")}`);
    }
  }
  assert.deepEqual(rows, ["alpha=1", "beta=2", "gamma=3", "delta=4", "epsilon=5"]);
});

Deno.test("different sources may have different headers", () => {
  const p = new CsvParser("h1", null, UTC);
  p.parse("a,b", "one");
  p.parse("x,y", "two");
  const one = p.parse("1,2", "one");
  assert.ok(one instanceof Map);
  assert.equal(one.get("b"), "2");
  const two = p.parse("3,4", "two");
  assert.ok(two instanceof Map);
  assert.equal(two.get("y"), "4");
  assert.equal(two.has("b"), false);
});

Deno.test("a csv line with more columns than the header is malformed", () => {
  const p = new CsvParser("h1", NEEDED, UTC);
  p.parse("col_label,col_value", "s");
  assert.equal(p.parse("a,1,extra", "s"), "malformed");
  assert.equal(p.parse("a,1,", "s"), "malformed");
});

Deno.test("a csv line with fewer columns than the header yields only those present", () => {
  const p = new CsvParser("h1", null, UTC);
  p.parse("a,b,c", "s");
  const fields = p.parse("1,2", "s");
  assert.ok(fields instanceof Map);
  assert.equal(fields.get("a"), "1");
  assert.equal(fields.get("b"), "2");
  assert.equal(fields.has("c"), false);
  const empty = p.parse("", "s");
  assert.ok(empty instanceof Map);
  assert.equal(empty.get("a"), "");
});

Deno.test("csv lines are trimmed, and a field in quotes is one value without them", () => {
  const p = new CsvParser("h1", null, UTC);
  assert.equal(p.parse(' a,"b, the second",c\r\n', "s"), "skip");
  const fields = p.parse(' "x, y",,"say ""hi""" ', "s");
  assert.ok(fields instanceof Map);
  assert.equal(fields.get("a"), "x, y");
  assert.equal(fields.get("b, the second"), "");
  assert.equal(fields.get("c"), 'say "hi"');
  const empty = p.parse('"",""""', "s");
  assert.ok(empty instanceof Map);
  assert.equal(empty.get("a"), "");
  assert.equal(empty.get("b, the second"), '"');
});

Deno.test("a quote that does not open a whole field is taken as it is, as Go takes every field", () => {
  const p = new CsvParser("h1", null, UTC);
  p.parse("a,b,c", "s");
  const fields = p.parse('x"y,"a"b,"open', "s");
  assert.ok(fields instanceof Map);
  assert.equal(fields.get("a"), 'x"y');
  assert.equal(fields.get("b"), '"a"b');
  assert.equal(fields.get("c"), '"open');
  // `"x,y"z` is no quoted field: split at its comma, the line has four columns for three names.
  assert.ok(p.parse('"x,y"z,1,2', "s") === "malformed");
});

Deno.test("the csv parser with needed fields gives the same values for them", () => {
  const lines = read("dmap5.csv.in");
  const needed = new Set(["$time", "min($goroutines)", "$line"]);
  const full = new CsvParser("h1", null, UTC);
  const partial = new CsvParser("h1", needed, UTC);
  for (const line of lines) {
    const all = full.parse(line, "s");
    const some = partial.parse(line, "s");
    if (all === "skip") {
      assert.equal(some, "skip");
      continue;
    }
    assert.ok(all instanceof Map && some instanceof Map);
    assert.deepEqual(some, new Map([...all].filter(([k]) => needed.has(k))));
  }
});

Deno.test("CSV_VARIABLES are the common dollar variables only", () => {
  assert.equal(CSV_VARIABLES.size, 6);
  assert.equal(CSV_VARIABLES.has("$time"), false);
});

Deno.test("what renderCsv writes, the csv format reads back value for value", () => {
  let seed = 4_417;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = ["a", "b", ",", '"', " ", "\r", "é", "|", "x"];
  const value = () => {
    let text = "";
    for (let n = Math.floor(random() * 8); n > 0; n--) {
      text += alphabet[Math.floor(random() * alphabet.length)];
    }
    return text;
  };
  for (let round = 0; round < 200; round++) {
    const rows = Array.from({ length: 5 }, (_, i) => ({
      groupKey: String(i),
      cells: new Map<string, string | number>([["k", `${i}${value()}`], ["v", value()]]),
    }));
    const csv = renderCsv(testQuery("k,v"), rows);
    const p = new CsvParser("h1", null, UTC);
    const lines = csv.split("\n").filter((l) => l !== "");
    assert.equal(p.parse(lines[0]!, "s"), "skip");
    const read = lines.slice(1).map((line) => {
      const fields = p.parse(line, "s");
      assert.ok(fields instanceof Map, `${JSON.stringify(line)} did not parse`);
      return [fields.get("k"), fields.get("v")];
    });
    // Lines are trimmed as the csv format reads them (the values' own spaces at the ends go).
    const written = rows.map((r) => [r.cells.get("k"), r.cells.get("v")])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    read.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.equal(read.length, written.length);
    for (let i = 0; i < read.length; i++) {
      assert.equal(read[i]![0], written[i]![0], csv);
      const v = String(written[i]![1]);
      assert.ok(read[i]![1] === v || read[i]![1] === v.trimEnd(), `${JSON.stringify(v)} ${csv}`);
    }
  }
});
