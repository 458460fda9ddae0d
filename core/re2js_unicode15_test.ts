import assert from "node:assert/strict";
import { compileMatcher, compileRe2jsMatcher } from "./matcher.ts";
import { RegexPool } from "./regex_pool.ts";
import { combine, isNewer, newerRanges, type RangeTable, tableRanges } from "./re2js_unicode15.ts";

const table = (entries: [number, number, number][]): RangeTable => ({
  length: entries.length,
  getLo: (i) => entries[i]![0],
  getHi: (i) => entries[i]![1],
  getStride: (i) => entries[i]![2],
});

Deno.test("a table's strided entries become sorted, merged ranges", () => {
  assert.deepEqual(tableRanges(table([[10, 14, 2], [1, 3, 1], [4, 5, 1]])), [
    1,
    5,
    10,
    10,
    12,
    12,
    14,
    14,
  ]);
});

Deno.test("ranges are subtracted and joined at every overlap", () => {
  assert.deepEqual(combine([1, 10, 20, 30], [3, 4, 8, 22, 25, 25], false), [
    1,
    2,
    5,
    7,
    23,
    24,
    26,
    30,
  ]);
  assert.deepEqual(combine([1, 10], [1, 10], false), []);
  assert.deepEqual(combine([1, 3, 10, 12], [4, 9, 20, 20], true), [1, 12, 20, 20]);
});

Deno.test("the code points assigned after Unicode 15.0 are known, and only those", () => {
  const r = newerRanges();
  for (let i = 2; i < r.length; i += 2) assert.ok(r[i]! > r[i - 1]! + 1, "sorted, apart");
  for (const c of [0x1c89, 0x1c8a, 0xa7dc, 0x10d4a, 0x2ebf0, 0x2ee5d, 0x323b0, 0x16ea0]) {
    assert.ok(isNewer(c), c.toString(16));
  }
  for (const c of [0x41, 0x19b, 0x295, 0x11f04, 0x31350, 0x2ebef, 0x2ee5e, 0x10ffff]) {
    assert.ok(!isNewer(c), c.toString(16));
  }
});

/** [pattern, text, Go 1.25's answer] (Unicode 15.0). */
const GO_ANSWERS: [string, string, boolean][] = [
  ["\\pL", "\u1c89", false], // Unicode 16.0 letter
  ["\\pL", "\u{11f04}", true], // Kawi, 15.0
  ["\\p{Han}", "\u{2ebf0}", false], // CJK Extension I, 15.1
  ["\\p{Han}", "\u{31350}", true], // CJK Extension H, 15.0
  ["\\PL", "\u{10d4a}", true],
  ["[^\\pL]", "\u{10d4a}", true],
  ["\\p{Cn}", "\u1c89", true],
  ["\\p{Unassigned}", "\u{323b0}", true],
  ["\\pC", "\u1c89", true],
  ["\\p{Assigned}", "\u1c89", false],
  ["\\p{Ll}", "\u0295", true], // Lo since 16.0
  ["\\p{Lo}", "\u0295", false],
  ["\\p{Mn}", "\u{1171e}", true], // Mc since 16.0
  ["(?i)\u1c8a", "\u1c89", false], // a 16.0 case pair
  ["(?i)\u019b", "\ua7dc", false], // ƛ gained an upper case in 16.0
  ["(?i)\ua7dc", "\u019b", false],
  ["(?i)\\p{Lu}", "\u019b", false],
  ["(?i)σ", "ς", true],
  ["(?i)\\x{212A}", "k", true],
  ["\\x{1C89}", "\u1c89", true], // a code point is a code point
  ["[\\x{1C80}-\\x{1C8F}]", "\u1c89", true],
];

Deno.test("re2js answers as Go 1.25 (Unicode 15.0) does, where Unicode 17.0 answers otherwise", () => {
  for (const [pattern, text, want] of GO_ANSWERS) {
    const where = `${pattern} on U+${text.codePointAt(0)!.toString(16)}`;
    assert.equal(compileRe2jsMatcher(pattern).test(text), want, where);
    assert.equal(
      compileMatcher(pattern).test(text),
      want,
      `${where} (${compileMatcher(pattern).engine})`,
    );
  }
});

Deno.test("the regex pool's workers answer the same", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    for (const [pattern, text, want] of GO_ANSWERS) {
      const got = await pool.matchingLines(pattern, `x\n${text}\n`);
      assert.deepEqual([...got].includes(2), want, pattern);
    }
  } finally {
    pool.close();
  }
});
