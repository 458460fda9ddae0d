import assert from "node:assert/strict";
import { MALFORMED, PARSED, SKIP } from "./format_common.ts";
import { LOGFMT_VARIABLES, LogfmtParser } from "./format_logfmt.ts";
import { COMMON_FIELDS, UTC } from "./_test_fields.ts";

const parser = (needed: readonly string[] | null = null) =>
  new LogfmtParser("h1", needed === null ? null : new Set(needed), UTC);
const fieldsOf = (line: string, needed: readonly string[] | null = null): Map<string, string> => {
  const result = parser(needed).parse(line, "src");
  assert.ok(result instanceof Map, `expected fields for ${line}, got ${String(result)}`);
  return result;
};

const LINE = 'ts=2026-12-03T20:00:00Z level=info msg="request \\"done\\" in 5ms" ' +
  "req.status=200 latency=0.25 cached empty= url=/a?b=c&d=e";

Deno.test("the logfmt parser yields every pair, a bare key as true", () => {
  assert.deepEqual(
    fieldsOf(LINE),
    new Map([
      ...COMMON_FIELDS,
      ["$line", LINE],
      ["$time", "2026-12-03T20:00:00Z"],
      ["ts", "2026-12-03T20:00:00Z"],
      ["level", "info"],
      ["msg", 'request "done" in 5ms'],
      ["req.status", "200"],
      ["latency", "0.25"],
      ["cached", "true"],
      ["empty", ""],
      ["url", "/a?b=c&d=e"],
    ]),
  );
});

Deno.test("the logfmt parser materializes only the needed fields", () => {
  assert.deepEqual(
    fieldsOf(LINE, ["msg", "cached", "req.status", "nope", "$time"]),
    new Map([
      ["$time", "2026-12-03T20:00:00Z"],
      ["msg", 'request "done" in 5ms'],
      ["req.status", "200"],
      ["cached", "true"],
    ]),
  );
  assert.deepEqual(fieldsOf(LINE, []), new Map());
});

Deno.test("quoted values take JSON's escapes and may be empty or hold spaces and =", () => {
  const line = String.raw`a="x\ty\\z\u00e9\ud83d\ude00" b="" c="k=v w" d=""`;
  assert.deepEqual(
    fieldsOf(line, ["a", "b", "c", "d"]),
    new Map([["a", "x\ty\\z\u00e9\u{1f600}"], ["b", ""], ["c", "k=v w"], ["d", ""]]),
  );
});

Deno.test("unquoted values run to the next white space, quotes and = included", () => {
  assert.deepEqual(
    fieldsOf('a=x"y b==c d=e="f"', ["a", "b", "d"]),
    new Map([["a", 'x"y'], ["b", "=c"], ["d", 'e="f"']]),
  );
  assert.deepEqual(fieldsOf("a=1\tb=2   c=3", ["a", "b", "c"]).size, 3);
});

Deno.test("$time is time, else ts, else timestamp; the last of one key counts", () => {
  const time = (line: string) => fieldsOf(line, ["$time"]).get("$time");
  assert.equal(time("timestamp=3 ts=2 time=1"), "1");
  assert.equal(time("timestamp=3 ts=2"), "2");
  assert.equal(time('timestamp="3 o\'clock"'), "3 o'clock");
  assert.equal(time("a=1 time"), undefined);
  assert.equal(time("a=1"), undefined);
  assert.equal(fieldsOf("a=1 a=2", ["a"]).get("a"), "2");
  assert.equal(time("time=1 time=2"), "2");
});

Deno.test("keys starting with $ are not read: $ names are variables", () => {
  assert.equal(fieldsOf("$hostname=x a=1").get("$hostname"), "h1");
  assert.equal(fieldsOf("$x=1 a=1", ["$x"]).has("$x"), false);
});

Deno.test("numbers read as numbers by where and aggregations", () => {
  const p = parser(["x"]);
  p.parse("x=2.5e1", "s");
  assert.equal(p.fields.numberAt(p.fields.slotOf("x")), 25);
  p.parse('x="7"', "s");
  assert.equal(p.fields.numberAt(p.fields.slotOf("x")), 7);
});

const MALFORMED_LINES = [
  "just some words",
  "a",
  "=x a=1",
  "a=1 =2",
  'a="unclosed',
  'a="x"y',
  'a="bad \\q escape"',
  'a="bad \\u12"',
  'a"b=1',
  '"quoted"=1',
];

Deno.test("a line with no key=value, a bad quote or a missing key is malformed", () => {
  for (const line of MALFORMED_LINES) {
    assert.equal(parser().parse(line, "src"), "malformed", line);
    assert.equal(parser([]).parse(line, "src"), "malformed", line);
    assert.equal(parser(["a"]).parse(line, "src"), "malformed", line);
  }
});

Deno.test("a blank line is skipped, not malformed", () => {
  assert.equal(parser().parse("", "src"), "skip");
  assert.equal(parser().parse("  \t", "src"), "skip");
});

Deno.test("parsing a region line by line finds each line's end and the fields parse gives", () => {
  const lines = [
    "a=1 b=x",
    "",
    "   ",
    "  \u3000a=2 b=y \r",
    "a=3 b=\u00e9\u00a0",
    'a=4 b="q"\u00a0',
    "a=5 flag\u2003",
    'a=6 b="unclosed',
    "words only",
    "=7",
    'a=8 b="x\\"y"',
    "a=9 b=last,no-line-end",
  ];
  const text = lines.join("\n");
  const bytes = new TextEncoder().encode(text);
  const needed = ["a", "b", "flag", "$line"];
  const byRegion = parser(needed);
  const byLine = parser(needed);
  let start = 0;
  for (const line of lines) {
    const code = byRegion.parseLineAt(bytes, start, bytes.length, "src", null);
    const got = code === PARSED ? byRegion.fields.toMap() : code;
    const expected = byLine.parse(line.replace(/\r$/, ""), "src");
    assert.deepEqual(
      got,
      expected === "skip" ? SKIP : expected === "malformed" ? MALFORMED : expected,
      line,
    );
    assert.equal(byRegion.lineEnd, start + new TextEncoder().encode(line).length, line);
    start = byRegion.lineEnd + 1;
  }
});

Deno.test("logfmt knows the common variables and $time", () => {
  assert.deepEqual(
    [...LOGFMT_VARIABLES].sort(),
    ["$empty", "$hostname", "$line", "$server", "$time", "$timeoffset", "$timezone"],
  );
});
