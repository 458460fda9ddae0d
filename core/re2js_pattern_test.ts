import assert from "node:assert/strict";
import { RE2JS } from "re2js";
import { compileMatcher, PatternError } from "./matcher.ts";
import { re2jsPattern, re2jsRewrite } from "./re2js_pattern.ts";

Deno.test("a group name used twice is renamed, and only where RE2 sees a group", () => {
  assert.equal(re2jsPattern("(?P<n>a)(?P<n>b)"), "(?P<n>a)(?P<a>b)");
  // Inside a class or \Q…\E, "(?P<n>" is text.
  assert.equal(re2jsPattern("(?P<n>a)[(?P<n>]"), "(?P<n>a)[(?P<n>]");
  assert.equal(re2jsPattern("(?P<n>a)\\Q(?P<n>\\E(?P<n>b)"), "(?P<n>a)\\Q(?P<n>\\E(?P<a>b)");
  assert.equal(re2jsPattern("(?P<n>a)[[:alpha:]](?<n>b)"), "(?P<n>a)[[:alpha:]](?<a>b)");
  assert.equal(re2jsPattern("(?P<n>a)[]a](?<n>b)"), "(?P<n>a)[]a](?<a>b)");
});

Deno.test("a [ in a class with no :] after it is given to re2js escaped", () => {
  assert.equal(re2jsPattern("x[[:a]y"), "x[\\[:a]y");
  assert.equal(re2jsPattern("[[:[:a]"), "[\\[:\\[:a]");
  // A named class, text outside a class, a range's high end and escapes are left as they are.
  assert.equal(re2jsPattern("[[:alpha:]][:x]"), "[[:alpha:]][:x]");
  assert.equal(re2jsPattern("\\[:x[a-[:b]"), "\\[:x[a-[:b]");
  assert.equal(re2jsPattern("\\Q[[:\\E[\\[:]"), "\\Q[[:\\E[\\[:]");
  assert.equal(re2jsPattern("[\\d-[:x]"), "[\\d-\\[:x]");
  assert.equal(re2jsPattern("[\\p{L}[:x]"), "[\\p{L}\\[:x]");
  assert.equal(re2jsPattern("[][:x]"), "[]\\[:x]");
  assert.equal(re2jsPattern("[^][:x]"), "[^]\\[:x]");
});

Deno.test("the escaped pattern matches what the pattern matches", () => {
  const lines = ["x[y", "x:y", "xay", "xby", "x-y", "x\\y"];
  for (
    const p of ["x[[:a]y", "x[[:[:a]y", "x[[:-a]y", "x[^[:a]y", "x[A-[:]y", "[[:alpha:]]|x[[:b]y"]
  ) {
    const plain = RE2JS.compile(p);
    const escaped = RE2JS.compile(re2jsPattern(p));
    for (const line of lines) assert.equal(escaped.test(line), plain.test(line), `${p} on ${line}`);
  }
});

Deno.test("an error in an escaped pattern quotes the pattern as written", () => {
  const cases: [string, RegExp][] = [
    ["x[[:[:", /missing closing \]: `\[\[:\[:`$/],
    ["x[[:z-a]", /invalid character class range: `z-a`$/],
    ["[[:a-[:!]", /invalid character class range: `a-\[`$/],
    ["(?P<n>x)(?P<n>[[:y", /missing closing \]: `\[\[:y`$/],
  ];
  for (const [p, reason] of cases) {
    assert.throws(() => compileMatcher(p), (err: unknown) => {
      assert.ok(err instanceof PatternError, p);
      assert.match(err.message, reason, p);
      return true;
    });
  }
});

Deno.test("original maps each position of the escaped text back to the pattern", () => {
  const r = re2jsRewrite("[[:[:a]");
  assert.equal(r.text, "[\\[:\\[:a]");
  assert.deepEqual([...r.text].map((_, at) => r.original(at)), [0, 1, 1, 2, 3, 3, 4, 5, 6]);
});

Deno.test("thousands of [: with no :] after them take linear time", () => {
  const p = "[" + "[:".repeat(7000) + "a".repeat(1000);
  const started = performance.now();
  assert.throws(() => compileMatcher(p), /missing closing \]/);
  const ms = performance.now() - started;
  // Quadratic was ~300 ms; linear is ~2.
  assert.ok(ms < 100, `${ms} ms`);
});

Deno.test("a property name is given to re2js as the name Go resolves it to", () => {
  assert.equal(re2jsPattern("\\p{Letter}x\\P{uppercase letter}"), "\\p{L}x\\P{Lu}");
  assert.equal(re2jsPattern("[\\p{greek}\\d][^\\p{^Cased_Letter}]"), "[\\p{Greek}\\d][^\\p{^LC}]");
  assert.equal(re2jsPattern("\\pl\\pN\\p{ASCII}"), "\\p{L}\\pN\\p{Ascii}");
  // Names re2js takes as they are, and text that only looks like a property escape.
  assert.equal(
    re2jsPattern("\\p{Lu}\\p{Any}\\Q\\p{letter}\\E\\\\p{letter}"),
    "\\p{Lu}\\p{Any}\\Q\\p{letter}\\E\\\\p{letter}",
  );
});

Deno.test("a property name Go refuses is refused with Go's reason, quoted as written", () => {
  const cases: [string, string][] = [
    ["x\\p{Alphabetic}", "`\\p{Alphabetic}`"],
    ["[a\\P{White_Space}]", "`\\P{White_Space}`"],
    ["\\p{Garay}+", "`\\p{Garay}`"],
    ["\\p{^Unknown}", "`\\p{^Unknown}`"],
    ["(?P<n>a)(?P<n>b)\\p{Latn}", "`\\p{Latn}`"],
    ["\\p😀", "`\\p😀`"],
  ];
  for (const [p, quote] of cases) {
    assert.throws(() => compileMatcher(p), (err: unknown) => {
      assert.ok(err instanceof PatternError, p);
      assert.ok(
        err.message.endsWith(`: error parsing regexp: invalid character class range: ${quote}`),
        err.message,
      );
      return true;
    });
  }
  // An error before the name is the one reported, as Go reports the first.
  assert.throws(
    () => compileMatcher("*\\p{Alphabetic}"),
    /missing argument to repetition operator: `\*`$/,
  );
});

Deno.test("original maps each position of a renamed property back to the pattern", () => {
  const r = re2jsRewrite("\\pl[\\p{letter}]");
  assert.equal(r.text, "\\p{L}[\\p{L}]");
  const positions = [0, 1, 2, 3, 3, 3, 4, 5, 6, 7, 13, 14];
  assert.deepEqual([...r.text].map((_, at) => r.original(at)), positions);
});
