import assert from "node:assert/strict";
import { COMMON_VARIABLES, localZone, wants } from "./format_common.ts";
import { GenericParser } from "./format_generic.ts";

const UTC = { name: "UTC", offset: 0 };

Deno.test("every parser trims the line as String.prototype.trim does, Unicode spaces included", () => {
  const p = new GenericParser("h", new Set(["$line"]), UTC);
  const lineOf = (text: string) => (p.parse(text, "s") as Map<string, string>).get("$line");
  assert.equal(lineOf("INFO|x"), "INFO|x");
  assert.equal(lineOf(""), "");
  assert.equal(lineOf(" \tINFO|x \r\n"), "INFO|x");
  assert.equal(lineOf("\u00a0a b\u2028"), "a b");
  assert.equal(lineOf("   "), "");
});

Deno.test("localZone gives a zone name and the offset east of UTC in seconds", () => {
  const now = new Date(Date.UTC(2026, 0, 15, 12));
  const zone = localZone(now);
  assert.ok(zone.name.length > 0);
  assert.equal(zone.offset, -now.getTimezoneOffset() * 60 || 0);
  assert.ok(!Object.is(zone.offset, -0));
});

Deno.test("a parser yields every common field when nothing is selected", () => {
  const fields = new GenericParser("host1.example", null, { name: "CET", offset: 3600 })
    .parse("a", "s");
  assert.deepEqual(
    fields,
    new Map([
      ["*", "*"],
      ["$empty", ""],
      ["$hostname", "host1.example"],
      ["$server", "host1.example"],
      ["$timezone", "CET"],
      ["$timeoffset", "3600"],
      ["$line", "a"],
    ]),
  );
});

Deno.test("a parser yields only the needed common fields", () => {
  const needed = new Set(["$server", "$timeoffset", "x"]);
  const fields = new GenericParser("h", needed, { name: "EST", offset: -18000 }).parse("line", "s");
  assert.deepEqual(fields, new Map([["$server", "h"], ["$timeoffset", "-18000"]]));
  assert.equal(
    (new GenericParser("h", new Set(), UTC).parse("line", "s") as Map<string, string>).size,
    0,
  );
});

Deno.test("wants accepts every name without a selection and only selected ones with one", () => {
  assert.equal(wants(null, "anything"), true);
  assert.equal(wants(new Set(["a"]), "a"), true);
  assert.equal(wants(new Set(["a"]), "b"), false);
});

Deno.test("COMMON_VARIABLES lists the dollar variables every format produces", () => {
  assert.deepEqual(
    [...COMMON_VARIABLES].sort(),
    ["$empty", "$hostname", "$line", "$server", "$timeoffset", "$timezone"],
  );
});
