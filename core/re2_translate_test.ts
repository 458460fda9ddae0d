import assert from "node:assert/strict";
import { irregexpSource, irregexpTranslation } from "./re2_translate.ts";

Deno.test("the translation tells whether a loop of the pattern may match a newline", () => {
  const crosses = (p: string) => irregexpTranslation(p)!.loopsCrossLines;
  for (const p of ["[0-9]+ms", "a.*b", "\\d+x\\w*y", "(?:ab)+c", "[a-z]{2,}q"]) {
    assert.equal(crosses(p), false, p);
  }
  for (const p of ["a[^~]*~", "x\\s+y", "(?:a|\\n)*b", "a\\D*b", "(?:a[\\s\\S])+z"]) {
    assert.equal(crosses(p), true, p);
  }
});

Deno.test("RE2 syntax becomes the JavaScript source that matches the same lines", () => {
  const matches = (pattern: string, line: string) =>
    new RegExp(irregexpSource(pattern)!).test(line);
  assert.equal(matches("\\x{20AC}", "costs 5€"), true);
  assert.equal(matches("[[:digit:]]+ms", "took 12ms"), true);
  assert.equal(matches("[[:digit:]]+ms", "took ms"), false);
  assert.equal(matches("\\Qa.b\\E", "a.b"), true);
  assert.equal(matches("\\Qa.b\\E", "axb"), false);
  assert.equal(matches("(?i)error", "ERROR"), true);
  assert.equal(matches("(?i)k", "\u212a"), true); // Go folds k with the Kelvin sign
  assert.equal(matches("\\Aab\\z", "ab"), true);
  assert.equal(matches("\\Aab\\z", "xab"), false);
  assert.equal(matches("\\s", "\v"), false); // RE2's \s is ASCII without \v
});

Deno.test("a character repeated a fixed number of times is written out, as irregexp runs it fast", () => {
  const written: [string, string][] = [
    ["\\d{4}-\\d{2}", "\\d\\d\\d\\d\\-\\d\\d"],
    ["x{3}ms", "xxxms"],
    ["x{3}?y", "xxxy"], // lazy: the same lines match
    ["x{2,2}", "xx"],
    ["a{1}b", "ab"],
    ["\\Qab\\E{2}", "abb"], // the last character
    ["[a-c]{2}", "[\\u0061-\\u0063][\\u0061-\\u0063]"],
  ];
  for (const [pattern, source] of written) assert.equal(irregexpSource(pattern), source, pattern);
  const kept: [string, string][] = [
    ["(?:ab){2}", "(?:ab){2}"], // a group
    ["x{2,3}", "x{2,3}"],
    ["x{2,}", "x{2,}"],
    ["x{0}y", "x{0}y"],
    ["x{300}", "x{300}"], // too long
  ];
  for (const [pattern, source] of kept) assert.equal(irregexpSource(pattern), source, pattern);
  const matches = (pattern: string, line: string) =>
    new RegExp(irregexpSource(pattern)!).test(line);
  assert.equal(matches("^x{3}?$", "xxx"), true);
  assert.equal(matches("^x{3}?$", "xx"), false);
  assert.equal(matches("(?i)k{2}", "K\u212a"), true);
  assert.equal(matches("é{2}", "éé"), true);
  assert.equal(matches("é{2}", "é"), false);
  assert.equal(matches("😀{2}", "😀😀"), true);
  assert.equal(matches("^.{2}$", "😀é"), true);
  assert.equal(matches("^.{2}$", "😀"), false);
});

Deno.test("patterns with no exact translation are left to re2js", () => {
  for (const p of ["\\p{Greek}", "\\pL", "(?i)é"]) assert.equal(irregexpSource(p), null, p);
});

Deno.test("the translation tells whether Latin-1 bytes select the lines UTF-8 text does", () => {
  const asciiOnly = (p: string) => irregexpTranslation(p)!.asciiOnly;
  const yes = [
    "[0-9]+ms",
    "ERROR.*lock",
    "a.*b.*c",
    "a.+b.*c",
    "x[^~]+y",
    "\\D*x",
    "\\S+@",
    "(?s).*x",
    "\\bid=\\d+\\b",
    "(?i)error",
    "^GET|POST$",
  ];
  for (const p of yes) {
    assert.equal(asciiOnly(p), true, p);
    assert.deepEqual(irregexpTranslation(p)!.latin1Unless, [], p);
  }
  // Characters beyond U+00FF: the Latin-1 reading serves bytes that hold none of them.
  const unless = (p: string) => irregexpTranslation(p)!.latin1Unless;
  assert.deepEqual(unless("(?i)disk"), [0x17f, 0x212a]); // Go folds s and k to these
  assert.deepEqual(unless("(?i)[r-t]+x"), [0x17f]);
  assert.deepEqual(unless("a\\x{20AC}b"), [0x20ac]);
  for (const p of ["(?i)disk", "(?i)[r-t]+x", "a\\x{20AC}b"]) assert.equal(asciiOnly(p), true, p);
  const no = [
    "a.b", // one character: one byte or several
    ".{2,}",
    "x.?y",
    "a.+b.+c", // two `+` loops over one 2-byte character
    "(?:a.*)b", // a loop inside a group
    "\\Bx", // true inside a run of non-ASCII bytes
    "é", // U+00E9: also the Latin-1 reading of a lone byte 0xE9
    "\\x{80}",
    "[^é]+",
    "(?i)[^k]", // every non-ASCII character but U+212A
    "[α-ω]", // too many to look for
    "\\x{FFFD}", // what invalid bytes decode to
  ];
  for (const p of no) assert.equal(asciiOnly(p), false, p);
});
