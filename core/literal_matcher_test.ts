import assert from "node:assert/strict";
import { escapedLiteral, literalMatcher } from "./literal_matcher.ts";

Deno.test("an escaped literal is its text without the backslashes; anything else is null", () => {
  assert.equal(escapedLiteral("\\|MAPREDUCE:STATS\\|"), "|MAPREDUCE:STATS|");
  assert.equal(escapedLiteral("a\\.b\\/c\\-d\\\\e"), "a.b/c-d\\e");
  assert.equal(escapedLiteral("ERROR"), "ERROR");
  assert.equal(escapedLiteral("a.b"), null, "an unescaped dot is a regex");
  assert.equal(escapedLiteral("a\\d"), null, "\\d is a class");
  assert.equal(escapedLiteral("(a)"), null);
  assert.equal(escapedLiteral(""), null);
});

Deno.test("literalMatcher matches plain strings and escaped literals, and leaves regexes to the engine", () => {
  assert.equal(literalMatcher("ERROR")?.kind, "literal");
  assert.equal(literalMatcher("\\|ERROR\\|")?.pattern, "|ERROR|");
  assert.equal(literalMatcher("ERR.R"), null);
  assert.equal(literalMatcher("[0-9]+ms"), null);
  assert.equal(literalMatcher("a\\d"), null);
});

Deno.test("literalMatcher gives the noop matcher only where it is allowed", () => {
  for (const pattern of ["", ".", ".*"]) assert.equal(literalMatcher(pattern)?.kind, "noop");
  assert.equal(literalMatcher("", { noopAllowed: false })?.kind, "literal");
  // "." and ".*" without the noop rule are regexes: core/matcher.ts compiles them.
  assert.equal(literalMatcher(".", { noopAllowed: false }), null);
  assert.equal(literalMatcher(".*", { noopAllowed: false }), null);
});

Deno.test("a literal matcher finds the next line holding its text and tests single lines", () => {
  const m = literalMatcher("a:b")!;
  const text = "x\nya:bz\nq\na:b\n";
  assert.equal(m.findLine(text, 0), 2);
  assert.equal(m.findLine(text, 8), 10);
  assert.equal(m.findLine(text, 14), -1);
  assert.equal(m.test("1a:b2"), true);
  assert.equal(m.test("ab"), false);
  assert.deepEqual(m.byteLiteral?.exact, true);
});

Deno.test("a literal with a newline matches no line, unless at its end with the line's newline", () => {
  const text = "a\nb\nab\n";
  assert.equal(literalMatcher("a\nb")!.findLine(text, 0), -1);
  assert.equal(literalMatcher("b\n")!.findLine(text, 0), -1);
  const withNewline = literalMatcher("b\n", { withNewline: true })!;
  assert.equal(withNewline.findLine(text, 0), 2);
  assert.equal(withNewline.findLine(text, 4), 4);
});
