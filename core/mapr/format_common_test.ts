import assert from "node:assert/strict";
import { COMMON_VARIABLES, CommonFields, localZone, trimLine, wants } from "./format_common.ts";

const UTC = { name: "UTC", offset: 0 };

Deno.test("trimLine returns the line itself when it has no surrounding whitespace", () => {
  const line = "INFO|x";
  assert.equal(trimLine(line), line);
  assert.equal(trimLine(""), "");
});

Deno.test("trimLine strips spaces, tabs, carriage returns and newlines at both ends", () => {
  assert.equal(trimLine(" \tINFO|x \r\n"), "INFO|x");
  assert.equal(trimLine("\u00a0a b\u2028"), "a b");
  assert.equal(trimLine("   "), "");
});

Deno.test("localZone gives a zone name and the offset east of UTC in seconds", () => {
  const now = new Date(Date.UTC(2026, 0, 15, 12));
  const zone = localZone(now);
  assert.ok(zone.name.length > 0);
  assert.equal(zone.offset, -now.getTimezoneOffset() * 60 || 0);
  assert.ok(!Object.is(zone.offset, -0));
});

Deno.test("CommonFields yields every common field when nothing is selected", () => {
  const fields = new CommonFields("host1.example", null, { name: "CET", offset: 3600 }).create("a");
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

Deno.test("CommonFields yields only the needed common fields", () => {
  const needed = new Set(["$server", "$timeoffset", "x"]);
  const fields = new CommonFields("h", needed, { name: "EST", offset: -18000 }).create("line");
  assert.deepEqual(fields, new Map([["$server", "h"], ["$timeoffset", "-18000"]]));
  assert.equal(
    (new CommonFields("h", new Set(), UTC).create("line") as Map<string, string>).size,
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
