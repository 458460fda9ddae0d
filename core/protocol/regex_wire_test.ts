import assert from "node:assert/strict";
import { parseRegex, RegexWireError, serializeRegex, wireRegexOf } from "./regex_wire.ts";

Deno.test("empty, dot and dot-star patterns travel as noop with a trailing space", () => {
  for (const p of ["", ".", ".*"]) {
    assert.equal(serializeRegex(wireRegexOf(p, false)), "regex:noop ");
  }
});

Deno.test("literal patterns carry the literal hint, regexes do not", () => {
  assert.equal(serializeRegex(wireRegexOf("ERROR", false)), "regex:default,literal ERROR");
  assert.equal(serializeRegex(wireRegexOf("ERR.R", false)), "regex:default ERR.R");
  assert.equal(serializeRegex(wireRegexOf("WARN", true)), "regex:invert,literal WARN");
  assert.equal(serializeRegex(wireRegexOf(".", true)), "regex:invert .");
});

Deno.test("patterns with spaces and flags parse back", () => {
  assert.deepEqual(parseRegex("regex:default,literal took 5 ms"), {
    flag: "default",
    literal: true,
    pattern: "took 5 ms",
  });
  assert.deepEqual(parseRegex("regex:noop "), { flag: "noop", literal: false, pattern: "" });
  assert.throws(() => parseRegex("regex:fancy x"), RegexWireError);
  assert.throws(() => parseRegex("regex:default,weird x"), RegexWireError);
  assert.throws(() => parseRegex("notregex"), RegexWireError);
});
