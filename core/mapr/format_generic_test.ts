import assert from "node:assert/strict";
import { GENERIC_VARIABLES, GenericKvParser, GenericParser } from "./format_generic.ts";
import { assertIndexedParseAgrees, COMMON_FIELDS, STATS_LINE, UTC } from "./_test_fields.ts";

const FIRST = STATS_LINE;
const COMMON = COMMON_FIELDS;

Deno.test("the generic parser yields only the common fields for any line", () => {
  const p = new GenericParser("h1", null, UTC);
  assert.deepEqual(p.parse(FIRST, "s"), new Map([...COMMON, ["$line", FIRST]]));
  assert.deepEqual(
    p.parse("  free text a=b \n", "s"),
    new Map([...COMMON, ["$line", "free text a=b"]]),
  );
  assert.deepEqual(p.parse("", "s"), new Map([...COMMON, ["$line", ""]]));
});

Deno.test("the generic parser yields only the needed common fields", () => {
  const p = new GenericParser("h1", new Set(["$line", "a"]), UTC);
  assert.deepEqual(p.parse("WARN|a=1", "s"), new Map([["$line", "WARN|a=1"]]));
});

Deno.test("the generickv parser adds every pipe token containing = and ignores the others", () => {
  const p = new GenericKvParser("h1", null, UTC);
  assert.deepEqual(
    p.parse(FIRST, "s"),
    new Map([
      ...COMMON,
      ["$line", FIRST],
      ["currentConnections", "0"],
      ["lifetimeConnections", "1"],
    ]),
  );
  const fields = p.parse("WARN|x|a=1=2||b=|=c|noise", "s");
  assert.ok(fields instanceof Map);
  assert.deepEqual([...fields].slice(COMMON.length + 1), [["a", "1=2"], ["b", ""], ["", "c"]]);
});

Deno.test("the generickv parser accepts lines without any key-value token", () => {
  const fields = new GenericKvParser("h1", null, UTC).parse("plain text", "s");
  assert.deepEqual(fields, new Map([...COMMON, ["$line", "plain text"]]));
});

Deno.test("the generickv parser with needed fields gives the same values for them", () => {
  const needed = new Set(["lifetimeConnections", "$hostname"]);
  const fields = new GenericKvParser("h1", needed, UTC).parse(FIRST, "s");
  assert.deepEqual(fields, new Map([["$hostname", "h1"], ["lifetimeConnections", "1"]]));
  const none = new GenericKvParser("h1", new Set(["$line"]), UTC).parse(FIRST, "s");
  assert.deepEqual(none, new Map([["$line", FIRST]]));
});

Deno.test("GENERIC_VARIABLES are exactly the common dollar variables", () => {
  assert.equal(GENERIC_VARIABLES.size, 6);
  assert.ok(GENERIC_VARIABLES.has("$line"));
  assert.equal(GENERIC_VARIABLES.has("$time"), false);
});

Deno.test("the generickv parser gives from the separators' positions what it gives from the bytes", () => {
  const lines = [
    FIRST,
    "",
    "  \u3000 ",
    "WARN|x|a=1=2||b=|=c|noise",
    " a=1 | b = 2 |c=\u00e9\u00a0\r",
    "a=|=|||x",
    "|||",
    "k=v\r",
    "plain text",
    "last=one, no line end",
  ];
  for (
    const needed of [null, new Set(["a", "b", "c", "", "k", " b ", "$line"]), new Set(["last"])]
  ) {
    for (const last of [lines.length, 5, 4]) {
      assertIndexedParseAgrees(() => new GenericKvParser("h1", needed, UTC), lines.slice(0, last));
    }
  }
  assert.equal(new GenericKvParser("h1", new Set(), UTC).indexed, false, "no key wanted");
});
