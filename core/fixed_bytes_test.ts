import assert from "node:assert/strict";
import { FixedBytes, FixedLines, type PlacedNeedle } from "./fixed_bytes.ts";

const enc = new TextEncoder();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("fixed patterns are characters, ASCII classes, one-character branches and {n}", () => {
  const widths = [
    ["took=\\d{4}ms", 11],
    ["web(?:1|2)[\\u0030-\\u0039]", 5],
    ["a\\.b\\-[\\u005d\\u0061]\\w", 6],
    ["x\\u0041\\x42\\t", 4],
    ["é€😀", 2 + 3 + 4],
    ["[a-c-]{2}", 2],
  ] as const;
  for (const [source, width] of widths) assert.equal(FixedBytes.of(source)?.width, width, source);
  const none = [
    "a+",
    "a*b",
    "a?",
    "a{2,}",
    "a{1,3}",
    ".",
    "^a",
    "a$",
    "[^a]",
    "\\s",
    "\\D",
    "\\b",
    "a|b",
    "(?:ab|c)",
    "(a)",
    "[\\u0041\\u212a]", // the Kelvin sign: not one byte
    "\\u00e9", // an escape above ASCII is not read
    "\\n",
    "",
    "a{65}",
  ];
  for (const source of none) assert.equal(FixedBytes.of(source), null, source);
});

Deno.test("a needle's places are where each of its bytes is in the position's set", () => {
  const pattern = FixedBytes.of("a[ab]{2}c")!;
  assert.deepEqual(pattern.placesOf(enc.encode("ab")), [0, 1]);
  assert.deepEqual(pattern.placesOf(enc.encode("bc")), [2]);
  assert.equal(pattern.placesOf(enc.encode("cc")), null);
  assert.equal(FixedBytes.of("a{9}")!.placesOf(enc.encode("aa")), null, "more than four places");
});

Deno.test("FixedLines decides random lines as the regex does, line after line", () => {
  const next = rng(5);
  const cases: [string, string[]][] = [
    ["took=\\d{2}ms", ["took="]],
    ["web(?:1|2)[\\u0030-\\u0039]", ["web1", "web2"]],
    ["a[ab]b", ["a"]],
    ["[ab]{2}ab", ["ab"]],
    ["\\wé\\d", ["é"]],
  ];
  const words = ["took=", "1", "22", "ms", "web", "2", "a", "b", "ab", "é", "_", " ", "\xff"];
  for (let round = 0; round < 1000; round++) {
    const [source, literals] = cases[round % cases.length]!;
    const pattern = FixedBytes.of(source)!;
    const regex = new RegExp(source);
    const needles: PlacedNeedle[] = literals.map((l) => {
      const bytes = enc.encode(l);
      return { bytes, probe: Math.floor(next() * bytes.length), places: pattern.placesOf(bytes)! };
    });
    // A batch of lines; some are asked about (candidates), in order, each as the regex says.
    const parts: number[] = [];
    const lines: [number, number][] = [];
    for (let l = Math.floor(next() * 8); l >= 0; l--) {
      const start = parts.length;
      for (let n = Math.floor(next() * 12); n > 0; n--) {
        const w = words[Math.floor(next() * words.length)]!;
        parts.push(...(w === "\xff" ? [0xff] : enc.encode(w)));
      }
      lines.push([start, parts.length]);
      parts.push(10);
    }
    const bytes = new Uint8Array(parts);
    const decide = new FixedLines(pattern, needles, bytes, { left: 1e6 });
    for (const [start, stop] of lines) {
      if (next() < 0.3) continue;
      const line = bytes.subarray(start, stop);
      const where = `${source} in ${JSON.stringify(new TextDecoder().decode(bytes))} at ${start}`;
      assert.equal(
        decide.holdsMatch(start, stop),
        regex.test(new TextDecoder().decode(line)),
        where,
      );
    }
  }
});

Deno.test("FixedLines gives up once it has compared its budget", () => {
  const pattern = FixedBytes.of("aab{8}c")!;
  const bytes = enc.encode("a".repeat(1000));
  const aa = enc.encode("aa");
  const needles = [{ bytes: aa, probe: 1, places: pattern.placesOf(aa)! }];
  assert.equal(new FixedLines(pattern, needles, bytes, { left: 1e6 }).holdsMatch(0, 1000), false);
  assert.equal(new FixedLines(pattern, needles, bytes, { left: 500 }).holdsMatch(0, 1000), null);
});
