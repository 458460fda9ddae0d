import assert from "node:assert/strict";
import { DEFAULT_VARIABLES } from "./format_default.ts";
import { MALFORMED, PARSED, SKIP } from "./format_common.ts";
import { AUTO_VARIABLES, AutoParser, looksLikeLogfmt } from "./format_auto.ts";
import { COMMON_FIELDS, STATS_LINE, UTC } from "./_test_fields.ts";

const parser = (needed: readonly string[] | null = null) =>
  new AutoParser("h1", needed === null ? null : new Set(needed), UTC);
const encoder = new TextEncoder();
const looks = (line: string) => {
  const bytes = encoder.encode(line);
  return looksLikeLogfmt(bytes, 0, bytes.length);
};

Deno.test("auto reads a line starting with { as json", () => {
  const p = parser(["a", "req.status", "$time"]);
  assert.deepEqual(
    p.parse('{"a":1,"req":{"status":200},"ts":"t1"}', "s"),
    new Map([["a", "1"], ["req.status", "200"], ["$time", "t1"]]),
  );
  assert.equal(p.parse('{"a":1', "s"), "malformed");
});

Deno.test("auto reads a line starting with key= as logfmt", () => {
  const p = parser(["a", "msg", "$time"]);
  assert.deepEqual(
    p.parse('time=t2 a=2 msg="hi there"', "s"),
    new Map([["a", "2"], ["msg", "hi there"], ["$time", "t2"]]),
  );
  assert.equal(p.parse('a="unclosed', "s"), "malformed");
});

Deno.test("auto reads other lines as the default format, skipping what is not DTail's", () => {
  const p = parser(["currentConnections", "$time", "$goroutines", "$line", "$hostname"]);
  assert.deepEqual(
    p.parse(STATS_LINE, "s"),
    new Map([
      ["$hostname", "h1"],
      ["$line", STATS_LINE],
      ["currentConnections", "0"],
      ["$time", "1002-071143"],
      ["$goroutines", "13"],
    ]),
  );
  assert.equal(p.parse("hello world", "s"), "skip");
  assert.equal(p.parse(`${STATS_LINE}|oops`, "s"), "malformed");
  // A JSON line after a default one has none of its fields.
  assert.deepEqual(p.parse('{"x":1}', "s"), new Map([["$hostname", "h1"], ["$line", '{"x":1}']]));
});

Deno.test("auto with every field wanted copies the default line's fields once", () => {
  const fields = parser().parse(STATS_LINE, "s");
  assert.ok(fields instanceof Map);
  assert.deepEqual([...fields.keys()].slice(0, COMMON_FIELDS.length + 1), [
    ...COMMON_FIELDS.map(([name]) => name),
    "$line",
  ]);
  assert.equal(fields.get("$timezone"), "UTC");
  assert.equal(fields.get("$severity"), "INFO");
  assert.equal(fields.get("lifetimeConnections"), "1");
  assert.equal(fields.size, 19);
});

Deno.test("auto takes a line for logfmt only when it starts with key=", () => {
  for (const line of ["a=1", "req.status=200 x", "k=", "\u00e9=1"]) assert.ok(looks(line), line);
  for (const line of ["=1", "a", "a b=1", 'a"=1', "INFO|x=1", "INFO|1|2|MAPREDUCE:T|a=1", ""]) {
    assert.ok(!looks(line), line);
  }
});

Deno.test("auto parses a mixed region line by line", () => {
  const lines = [
    '{"a":1}',
    "a=2",
    `${STATS_LINE}|a=3`,
    "free text",
    '{"a":',
    "",
    '  {"a":4} ',
  ];
  const bytes = encoder.encode(lines.join("\n"));
  const p = parser(["a"]);
  const got: (string | number)[] = [];
  for (let start = 0; start < bytes.length; start = p.lineEnd + 1) {
    const code = p.parseLineAt(bytes, start, bytes.length, "s", null);
    got.push(code === PARSED ? p.fields.get("a")! : code);
  }
  assert.deepEqual(got, ["1", "2", "3", SKIP, MALFORMED, SKIP, "4"]);
});

Deno.test("auto knows the variables of the default format", () => {
  assert.equal(AUTO_VARIABLES, DEFAULT_VARIABLES);
  assert.ok(AUTO_VARIABLES.has("$time"));
});
