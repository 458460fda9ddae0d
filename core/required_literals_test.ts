import assert from "node:assert/strict";
import {
  alternativeBranches,
  caselessLiteral,
  hasAnchor,
  plainLiteral,
  requiredAlternatives,
  requiredLiteral,
  requiredLiterals,
} from "./required_literals.ts";

Deno.test("the runs of literal characters every match holds are found in order", () => {
  assert.deepEqual(requiredLiterals("ERROR.*lock"), ["ERROR", "lock"]);
  assert.deepEqual(requiredLiterals("[0-9]+ms user=u9"), ["ms user=u9"]);
  assert.deepEqual(requiredLiterals("a\\.b"), ["a.b"]);
});

Deno.test("optional and repeated atoms end a run; groups and classes hold no literal", () => {
  assert.deepEqual(requiredLiterals("abc?d"), ["ab", "d"]);
  assert.deepEqual(requiredLiterals("ab+c"), ["ab", "c"]);
  assert.deepEqual(requiredLiterals("x(yz)w[qr]v"), ["x", "w", "v"]);
  assert.deepEqual(requiredLiterals("ab{2,3}c"), ["a", "c"]);
});

Deno.test("an alternation outside groups gives no required literal", () => {
  assert.deepEqual(requiredLiterals("ERROR|WARN"), []);
  assert.deepEqual(requiredLiterals("(?:a)b|cde"), []);
  assert.equal(requiredLiteral("a\\|bc"), "a|bc");
});

Deno.test("an alternation inside a group leaves the literals around it required", () => {
  assert.equal(requiredLiteral("(?:a|b)cde"), "cde");
  assert.deepEqual(
    requiredLiterals("Gr(?:[\\u0000-\\uffff]|[\\ud800-\\udbff][\\udc00-\\udfff])ße"),
    [
      "Gr",
      "ße",
    ],
  );
  assert.deepEqual(requiredLiterals("x(?:a|(b|c))*y[|]z"), ["x", "y", "z"]);
});

Deno.test("a group of literal branches lends its common prefix and suffix to the runs", () => {
  assert.deepEqual(requiredLiterals("status=(?:500|503)"), ["status=50"]);
  assert.deepEqual(requiredLiterals("x(?:abc|abd)y"), ["xab", "y"]);
  assert.deepEqual(requiredLiterals("x(?:ab|ab)y"), ["xaby"]);
  assert.deepEqual(requiredLiterals("a(?:bc|c)d"), ["a", "cd"]);
  assert.deepEqual(requiredLiterals("x(?:ab|abab)y"), ["xab", "y"]);
  assert.deepEqual(requiredLiterals("a(?:b\\.|c\\.)e"), ["a", ".e"]);
  // Repeated or optional groups, and groups of more than literals, lend nothing.
  assert.deepEqual(requiredLiterals("x(?:ab|ac)*y"), ["x", "y"]);
  assert.deepEqual(requiredLiterals("x(?:ab|ac)+y"), ["x", "y"]);
  assert.deepEqual(requiredLiterals("a(?:b|[c])e"), ["a", "e"]);
  assert.deepEqual(requiredLiterals("a(?:bx|b.)e"), ["a", "e"]);
});

Deno.test("the required literal is the longest run", () => {
  assert.equal(requiredLiteral("ab.*cdef.*g"), "cdef");
  assert.equal(requiredLiteral("\\d+"), null);
});

Deno.test("anchors count outside classes only, and not when escaped", () => {
  assert.equal(hasAnchor("^ERROR"), true);
  assert.equal(hasAnchor("lock$"), true);
  assert.equal(hasAnchor("[^a]b"), false);
  assert.equal(hasAnchor("a\\$b"), false);
});

Deno.test("caseless runs take ASCII case pairs as their letters, in lower case", () => {
  const e = "[\\u0045\\u0065]", r = "[\\u0052\\u0072]", s = "[\\u0053\\u0073\\u017f]";
  assert.deepEqual(requiredLiterals(`${e}${r}${r} x`, true), ["err x"]);
  assert.deepEqual(requiredLiterals(`${e}${r}${r} x`), [" x"], "a case pair is a class otherwise");
  assert.deepEqual(requiredLiterals(`${e}${s}${e}Rr`, true), ["e", "err"], "the long s ends a run");
  assert.deepEqual(requiredLiterals(`${e}+${r}${e}?x`, true), ["e", "r", "x"]);
  assert.deepEqual(requiredLiterals("[\\u0045\\u0066]x[\\u00c0\\u00e0]y", true), ["x", "y"]);
  assert.deepEqual(requiredLiterals("[^\\u0045\\u0065]x", true), ["x"]);
});

Deno.test("a caseless literal is case pairs and characters that are no letter only", () => {
  const e = "[\\u0045\\u0065]", r = "[\\u0052\\u0072]";
  assert.equal(caselessLiteral(`${e}${r}${r}: 1\\.5€`), "err: 1.5€");
  assert.equal(caselessLiteral(`${e}`), "e");
  for (
    const source of [`${e}x`, `^${e}`, `${e}$`, `${e}+`, `${e}.`, `(${e})`, `${e}|x`, "ab", "1"]
  ) {
    assert.equal(caselessLiteral(source), null, source);
  }
  assert.equal(caselessLiteral(`${e}\\s`), null, "an escape that is no literal");
});

Deno.test("an alternation's branches are split outside classes and groups, in one group or not", () => {
  assert.deepEqual(alternativeBranches("a|b[|]|(c|d)"), ["a", "b[|]", "(c|d)"]);
  assert.deepEqual(alternativeBranches("(?:a|\\|)"), ["a", "\\|"]);
  assert.deepEqual(alternativeBranches("(?:a|b)"), ["a", "b"]);
  assert.equal(alternativeBranches("(?:a|b)c"), null);
  assert.equal(alternativeBranches("(?:a|b)+"), null);
  assert.equal(alternativeBranches("abc"), null);
  assert.deepEqual(alternativeBranches("a|"), ["a", ""]);
});

Deno.test("a plain literal is literal characters only", () => {
  assert.equal(plainLiteral("a\\.b c"), "a.b c");
  assert.equal(plainLiteral(""), "");
  for (const source of ["a.b", "a|b", "[a]", "a+", "^a", "\\s"]) {
    assert.equal(plainLiteral(source), null);
  }
});

Deno.test("a stretch of literals and literal branches spells the strings every match holds one of", () => {
  assert.deepEqual(requiredAlternatives("svc=(?:auth|pricing)", 4), {
    stretches: [["svc=auth", "svc=pricing"]],
    whole: true,
  });
  assert.deepEqual(requiredAlternatives("web(?:1|2)[0-9]", 4), {
    stretches: [["web1", "web2"]],
    whole: false,
  });
  assert.deepEqual(
    requiredAlternatives("x(?:a|b)(?:c|d)(?:e|f)y", 4).stretches,
    [["xac", "xad", "xbc", "xbd"], ["ey", "fy"]],
    "a group that would make more than 4 starts the next stretch",
  );
  assert.deepEqual(requiredAlternatives("a(?:b|c)+d", 4).stretches, [["a"], ["d"]]);
  assert.deepEqual(requiredAlternatives("a(?:b|c)d?e", 4).stretches, [["ab", "ac"], ["e"]]);
  assert.deepEqual(requiredAlternatives("ab|cd", 4), { stretches: [], whole: false });
  assert.deepEqual(requiredAlternatives("^a(?:b|c)", 4).whole, false);
  assert.deepEqual(requiredAlternatives("a(?:b|c)$", 4).whole, false);
  assert.deepEqual(requiredAlternatives("a(?:b|c)x+", 4).whole, false);
});

Deno.test("a small class of ASCII characters, as the translation writes it, is a group of them", () => {
  assert.deepEqual(requiredAlternatives("s=[\\u0034-\\u0035]", 4), {
    stretches: [["s=4", "s=5"]],
    whole: true,
  });
  assert.deepEqual(requiredAlternatives("a[\\u002c\\u002e]b", 4).stretches, [["a,b", "a.b"]]);
  assert.deepEqual(requiredLiterals("a[\\u0062]c"), ["abc"], "one character: a literal");
  const notOne = [
    "a[\\u0030-\\u0039]b", // ten strings: more than the 4 asked for
    "a[^\\u0062]b", // negated
    "a[\\u0045\\u0065]b", // an ASCII case pair: the caseless search's
    "a[\\u000a\\u0062]b", // a "\n" is in no line
    "a[\\u00e9\\u0062]b", // beyond ASCII: more than one byte
    "a[\\u0062\\u0063]?b",
    "a[\\u0062\\u0063]{2}b",
    "a[bc]b", // not as the translation writes it
  ];
  for (const source of notOne) {
    assert.deepEqual(requiredAlternatives(source, 4).stretches, [["a"], ["b"]], source);
  }
});
