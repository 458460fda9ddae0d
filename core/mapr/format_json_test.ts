import assert from "node:assert/strict";
import { MALFORMED, PARSED, SKIP } from "./format_common.ts";
import { JSON_VARIABLES, JsonParser, MAX_DEPTH } from "./format_json.ts";
import { COMMON_FIELDS, UTC } from "./_test_fields.ts";

const parser = (needed: readonly string[] | null = null) =>
  new JsonParser("h1", needed === null ? null : new Set(needed), UTC);
const fieldsOf = (line: string, needed: readonly string[] | null = null): Map<string, string> => {
  const result = parser(needed).parse(line, "src");
  assert.ok(result instanceof Map, `expected fields for ${line}, got ${String(result)}`);
  return result;
};

const NESTED = '{"time":"2026-12-03T20:00:00Z","level":"info","req":{"status":200,' +
  '"path":"/a","h":{"ok":true}},"latency":0.25,"tags":["a",{"b":1}],"user":null}';

Deno.test("the json parser yields every member, nested ones by their dotted path", () => {
  assert.deepEqual(
    fieldsOf(NESTED),
    new Map([
      ...COMMON_FIELDS,
      ["$line", NESTED],
      ["$time", "2026-12-03T20:00:00Z"],
      ["time", "2026-12-03T20:00:00Z"],
      ["level", "info"],
      ["req.status", "200"],
      ["req.path", "/a"],
      ["req.h.ok", "true"],
      ["req.h", '{"ok":true}'],
      ["req", '{"status":200,"path":"/a","h":{"ok":true}}'],
      ["latency", "0.25"],
      ["tags", '["a",{"b":1}]'],
    ]),
  );
});

Deno.test("the json parser materializes only the needed fields", () => {
  assert.deepEqual(
    fieldsOf(NESTED, ["req.status", "req.h.ok", "tags", "nope", "req.nope"]),
    new Map([["req.status", "200"], ["req.h.ok", "true"], ["tags", '["a",{"b":1}]']]),
  );
  assert.deepEqual(fieldsOf(NESTED, []), new Map());
  assert.deepEqual(fieldsOf(NESTED, ["$line"]), new Map([["$line", NESTED]]));
});

Deno.test("a dotted key and a nested member with the same path are the same field", () => {
  assert.equal(fieldsOf('{"req.status":404}', ["req.status"]).get("req.status"), "404");
  assert.equal(fieldsOf('{"req":{"status":500}}', ["req.status"]).get("req.status"), "500");
  assert.equal(fieldsOf('{"a":{"b.c":1}}', ["a.b.c"]).get("a.b.c"), "1");
  assert.equal(fieldsOf('{"a.b":{"c":2}}', ["a.b.c"]).get("a.b.c"), "2");
});

Deno.test("string escapes are decoded, surrogate pairs included", () => {
  const line = String.raw`{"s":"q\"b\\s\/n\nt\tr\rb\bf\fe\u00e9x\ud83d\ude00.","lone":"\ud83d"}`;
  const all = fieldsOf(line);
  assert.equal(all.get("s"), 'q"b\\s/n\nt\tr\rb\bf\fe\u00e9x\u{1f600}.');
  assert.equal(all.get("lone"), "\ud83d");
  assert.equal(all.get("s"), JSON.parse(line).s);
  assert.equal(fieldsOf(line, ["s"]).get("s"), JSON.parse(line).s);
  assert.equal(fieldsOf('{"u":"\u00fc\u6f22"}', ["u"]).get("u"), "\u00fc\u6f22");
});

Deno.test("an escaped key is matched by its decoded name", () => {
  assert.equal(fieldsOf(String.raw`{"st\u0061tus":201}`, ["status"]).get("status"), "201");
  assert.equal(fieldsOf(String.raw`{"r\u0065q":{"a":1}}`, ["req.a"]).get("req.a"), "1");
  assert.equal(fieldsOf(String.raw`{"a\"b":3}`).get('a"b'), "3");
});

Deno.test("numbers keep their text, booleans are true or false, null leaves a field absent", () => {
  const line = '{"a":1.50,"b":-0,"c":1e3,"d":2.5E-2,"t":true,"f":false,"n":null}';
  assert.deepEqual(
    fieldsOf(line, ["a", "b", "c", "d", "t", "f", "n"]),
    new Map([["a", "1.50"], ["b", "-0"], ["c", "1e3"], ["d", "2.5E-2"], ["t", "true"], [
      "f",
      "false",
    ]]),
  );
  // The last of duplicate keys counts, as in JSON.parse; a null one removes the field.
  assert.equal(fieldsOf('{"a":1,"a":2}', ["a"]).get("a"), "2");
  assert.equal(fieldsOf('{"a":1,"a":null}', ["a"]).has("a"), false);
});

Deno.test("numbers read as numbers by where and aggregations", () => {
  const p = parser(["x"]);
  assert.equal(p.parse('{"x":1e3}', "s") instanceof Map, true);
  assert.equal(p.fields.numberAt(p.fields.slotOf("x")), 1000);
  p.parse('{"x":"12.5"}', "s");
  assert.equal(p.fields.numberAt(p.fields.slotOf("x")), 12.5);
});

Deno.test("$time is time, else ts, else timestamp, wherever they are in the object", () => {
  const time = (line: string) => fieldsOf(line, ["$time"]).get("$time");
  assert.equal(time('{"timestamp":"3","ts":"2","time":"1"}'), "1");
  assert.equal(time('{"timestamp":"3","ts":2}'), "2");
  assert.equal(time('{"timestamp":"3"}'), "3");
  assert.equal(time('{"time":null,"ts":"2"}'), "2");
  assert.equal(time(String.raw`{"time":"a\/b"}`), "a/b");
  assert.equal(time('{"req":{"time":"nested"}}'), undefined);
  assert.equal(time('{"a":1}'), undefined);
  // $time and time are both there when both are wanted.
  assert.deepEqual(
    fieldsOf('{"ts":"2","time":"1"}', ["time", "$time", "ts"]),
    new Map([["time", "1"], ["ts", "2"], ["$time", "1"]]),
  );
});

Deno.test("keys starting with $ are not read: $ names are variables", () => {
  assert.equal(fieldsOf('{"$line":"x","a":1}', ["$line", "a"]).get("$line"), '{"$line":"x","a":1}');
  assert.equal(fieldsOf('{"$hostname":"x"}').get("$hostname"), "h1");
});

const MALFORMED_LINES = [
  '{"a":1,',
  '{"a":1',
  '{"a":1}}',
  '{"a":1} x',
  '{"a":1,}',
  "{'a':1}",
  "{a:1}",
  '{"a" 1}',
  '{"a":}',
  '{"a":01}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":-}',
  '{"a":1e}',
  '{"a":+1}',
  '{"a":NaN}',
  '{"a":tru}',
  '{"a":nul}',
  '{"a":"x\\q"}',
  '{"a":"x\\u12g4"}',
  '{"a":"tab\there"}',
  '{"a":"unclosed}',
  '{"a":[1,2}',
  '{"a":[1,]}',
  '{"a":{"b":1}',
  "[1,2]",
  '"text"',
  "42",
  "plain text line",
  '{"a":1}{"b":2}',
];

Deno.test("a line that is not one JSON object is malformed, as JSON.parse sees it", () => {
  for (const line of MALFORMED_LINES) {
    assert.throws(() => {
      const value = JSON.parse(line);
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
    }, line);
    assert.equal(parser().parse(line, "src"), "malformed", line);
    assert.equal(parser([]).parse(line, "src"), "malformed", line);
    assert.equal(parser(["a", "b"]).parse(line, "src"), "malformed", line);
  }
});

Deno.test("well-formed objects with odd spacing and empty members parse", () => {
  for (const line of ['{ "a" : 1 , "b" :\t"x" }', "{}", '{"a":{},"b":[]}', '{"a":[[],[{}]]}']) {
    JSON.parse(line);
    assert.ok(parser(["a", "b"]).parse(line, "src") instanceof Map, line);
  }
  assert.deepEqual(
    fieldsOf('{ "a" : 1 , "b" :\t"x" }', ["a", "b"]),
    new Map([["a", "1"], ["b", "x"]]),
  );
});

Deno.test("a blank line is skipped, not malformed", () => {
  assert.equal(parser().parse("", "src"), "skip");
  assert.equal(parser().parse(" \t ", "src"), "skip");
});

Deno.test(`objects nested ${MAX_DEPTH} deep parse, deeper ones are malformed`, () => {
  const nest = (depth: number) => '{"a":'.repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  assert.ok(parser(["a"]).parse(nest(MAX_DEPTH), "src") instanceof Map);
  assert.equal(parser(["a"]).parse(nest(MAX_DEPTH + 1), "src"), "malformed");
  const arrays = (depth: number) => '{"a":' + "[".repeat(depth - 1) + "]".repeat(depth - 1) + "}";
  assert.ok(parser(["a"]).parse(arrays(MAX_DEPTH), "src") instanceof Map);
  assert.equal(parser(["a"]).parse(arrays(MAX_DEPTH + 1), "src"), "malformed");
});

Deno.test("every member of generated objects matches JSON.parse", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pieces = ["a", "é", "\u{1f600}", '"', "\\", "\n", "/", "\u0001", " ", "z"];
  const text = () =>
    Array.from({ length: Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)])
      .join("");
  for (let n = 0; n < 200; n++) {
    const object = {
      s: text(),
      [text() || "k"]: next() < 0.5 ? text() : Math.floor(next() * 1e6) / 100,
      o: { p: text(), q: next() < 0.5 },
    };
    const line = JSON.stringify(object);
    const fields = fieldsOf(line);
    for (const [key, value] of Object.entries(object)) {
      if (key.startsWith("$") || typeof value === "object") continue;
      assert.equal(fields.get(key), String(value), line);
    }
    assert.equal(fields.get("o.p"), object.o.p, line);
    assert.equal(fields.get("o.q"), String(object.o.q), line);
    assert.equal(fieldsOf(line, ["s", "o.p"]).get("s"), object.s, line);
  }
});

Deno.test("parsing a region line by line finds each line's end and the fields parse gives", () => {
  const lines = [
    '{"a":1,"b":"x"}',
    "",
    "   ",
    '  \u3000{"a":2,"b":"y"} \r',
    '{"a":3,"b":"\\u00e9"}\u00a0',
    '{"a":4,',
    '{"a":"line end inside',
    '{"a":5} junk',
    "not json",
    '{"a":6,"b":"last, no line end"}',
  ];
  const text = lines.join("\n");
  const bytes = new TextEncoder().encode(text);
  const needed = ["a", "b", "$line"];
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
    );
    assert.equal(byRegion.lineEnd, start + new TextEncoder().encode(line).length, line);
    start = byRegion.lineEnd + 1;
  }
});

Deno.test("json knows the common variables and $time", () => {
  assert.deepEqual(
    [...JSON_VARIABLES].sort(),
    ["$empty", "$hostname", "$line", "$server", "$time", "$timeoffset", "$timezone"],
  );
});
