import assert from "node:assert/strict";
import { sequenceItems } from "./byte_sequence.ts";
import { compileMatcher } from "./matcher.ts";
import { IrregexpMatcher } from "./irregexp_matcher.ts";
import { ShiftAnd } from "./shift_and.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("a Shift-And takes fixed counts and loops of ASCII sets, and nothing optional", () => {
  for (const source of ["=\\d+\\.\\d", "a{3}b+", "[a-c]{2,}x", "a+a+a", "x\\w+_\\d{2}"]) {
    assert.ok(ShiftAnd.of(sequenceItems(source)), source);
  }
  for (const source of ["a?b", "a*b", "a{1,3}", "é+", "a.b", "a|b", "a{31}b"]) {
    assert.equal(ShiftAnd.of(sequenceItems(source)), null, source);
  }
});

Deno.test("a Shift-And finds what the regex finds in random lines", () => {
  const next = rng(3);
  const sources = ["=\\d+\\.\\d", "a+a+b", "[ab]+b{2}c", "x\\w+_\\d{2}", "a{3,}", "\\d+"];
  const pieces = ["a", "b", "c", "=", "1", "22", ".", "x", "_", "é", "\n", "ab", "aaa"];
  for (let round = 0; round < 3000; round++) {
    const source = sources[round % sources.length]!;
    let line = "";
    for (let n = Math.floor(next() * 30); n > 0; n--) {
      line += pieces[Math.floor(next() * pieces.length)];
    }
    const want = new RegExp(source).test(line);
    assert.equal(ShiftAnd.of(sequenceItems(source))!.test(line), want, `${source} in ${line}`);
  }
});

Deno.test("lines longer than irregexp takes for a looping pattern are tested here, not on re2js", () => {
  const matcher = compileMatcher("=\\d+\\.\\d+");
  assert.ok(matcher instanceof IrregexpMatcher);
  const long = "x=12 ".repeat(400) + "y=3.25";
  const text = `short=1.5\n${long}\n${"z".repeat(3000)}\n`;
  assert.equal(matcher.findLineWithoutRe2js!(text, 0), 0);
  const second = text.indexOf("\n") + 1;
  assert.equal(matcher.findLineWithoutRe2js!(text, second), second, "a long line, matched here");
  assert.equal(matcher.findLineWithoutRe2js!(text, second + long.length + 1), -1);
  assert.equal(matcher.test(long), true);
  assert.equal(matcher.test(long.slice(0, -5)), false);
  const optional = compileMatcher("x\\w*y"); // an optional part: its long lines stay with re2js
  assert.equal(optional.findLineWithoutRe2js!("x" + "a".repeat(2000) + "y\n", 0), -2);
});
