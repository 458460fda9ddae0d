import assert from "node:assert/strict";
import { compileMatcher, PatternError } from "./matcher.ts";
import { compileRe2jsMatcher } from "./re2js_matcher.ts";

Deno.test("Go's group names: a name may be used twice; RE2's lexical rules tell names apart", () => {
  for (const p of ["(?P<n>x)(?P<n>y)", "(?<n>x)|(?P<n>y)", "(?P<ab>x)(?P<ab>y)(?P<ab>z)"]) {
    const m = compileMatcher(p);
    assert.equal(m.test("xy") || m.test("xyz") || m.test("y"), true, p);
    assert.equal(compileRe2jsMatcher(p).test("q"), false, p);
  }
  // An error elsewhere is reported as Go reports it, with the names as written.
  assert.throws(() => compileMatcher("(?P<n>x)(?P<n>y"), (err: unknown) => {
    assert.ok(err instanceof PatternError);
    assert.match(err.message, /missing closing \): `\(\?P<n>x\)\(\?P<n>y`$/);
    return true;
  });
});

Deno.test("the re2js matcher anchors at each line and matches one line at a time", () => {
  const m = compileRe2jsMatcher("^b\\d$");
  assert.equal(m.engine, "re2js");
  assert.equal(m.findLine("a1\nb2\nb3x\n", 0), 3);
  assert.equal(m.findLine("a1\nb2\nb3x\n", 6), -1);
  assert.equal(m.test("b7"), true);
});

Deno.test("a pattern RE2 refuses is a PatternError with Go's reason", () => {
  assert.throws(() => compileRe2jsMatcher("(a)\\1"), (err: unknown) => {
    assert.ok(err instanceof PatternError);
    assert.match(
      err.message,
      /^invalid regular expression "\(a\)\\\\1": .*invalid escape sequence: `\\1`$/,
    );
    return true;
  });
});
