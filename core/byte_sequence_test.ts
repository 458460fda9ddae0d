import assert from "node:assert/strict";
import { ByteSequence, type PlacedNeedle, SequenceLines } from "./byte_sequence.ts";
import { byteSearch, Needle } from "./byte_search.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const search = byteSearch()!;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("a byte sequence is characters, ASCII classes and one-character branches with counts", () => {
  const widths = [
    ["took=\\d{4}ms", 11],
    ["web(?:1|2)[\\u0030-\\u0039]", 5],
    ["a\\.b\\-[\\u005d\\u0061]\\w", 6],
    ["x\\u0041\\x42\\t", 4],
    ["é€😀", 2 + 3 + 4],
    ["[a-c-]{2}", 2],
    ["req=[a-z0-9]+\\]", 6],
    ["id=\\d{2,}xy?", 6],
    ["a\\d{1,3}b*", 2],
    ["a?b?c", 1],
    ["é{2}", 4],
  ] as const;
  for (const [source, width] of widths) {
    assert.equal(ByteSequence.of(source)?.minWidth, width, source);
  }
  const none = [
    "a+a", // taking all `a`s leaves none for the next: not the only way
    "\\d+1",
    "a?b?a",
    "x\\d*_?\\d",
    "x\\d+?y", // lazy
    "x\\d{2,3}?y",
    ".",
    "a^",
    "$a",
    "^",
    "[^a]",
    "\\s",
    "\\D",
    "\\b",
    "a|b",
    "(?:ab|c)",
    "(a)",
    "[\\u0041\\u212a]", // the Kelvin sign: not one byte
    "\\u00e9", // an escape above ASCII is not read
    "é+", // a varying count of a character of two bytes
    "\\n",
    "",
    "a{65}",
    "a{3,2}",
  ];
  for (const source of none) assert.equal(ByteSequence.of(source), null, source);
  const anchors = (source: string) => {
    const sequence = ByteSequence.of(source);
    return sequence && [sequence.atStart, sequence.atEnd, sequence.minWidth];
  };
  assert.deepEqual(anchors("^ab"), [true, false, 2]);
  assert.deepEqual(anchors("a\\d$"), [false, true, 2]);
  assert.deepEqual(anchors("^a$"), [true, true, 1]);
  assert.deepEqual(anchors("a\\$"), [false, false, 2], "an escaped dollar");
  assert.deepEqual(anchors("a\\\\$"), [false, true, 2], "an escaped backslash, then the end");
  assert.equal(ByteSequence.of("a*")!.placeOf([plain("a")]), null, "no item before a count");
});

const plain = (text: string) => ({ bytes: enc.encode(text), caseless: false });
const caseless = (text: string) => ({ bytes: enc.encode(text), caseless: true });

Deno.test("a needle's place is where the sets before the first count that varies spell only it", () => {
  const sequence = ByteSequence.of("a[ab]{2}c")!;
  assert.equal(sequence.placeOf([plain("ab")]), null, "it fits at 0 and 1, but `aa` too");
  assert.equal(sequence.placeOf([plain("bc")]), null);
  assert.equal(sequence.placeOf([plain("c")]), 3);
  assert.equal(ByteSequence.of("a{9}")!.placeOf([plain("aa")]), 0, "the first place");
  const varying = ByteSequence.of("req=[a-z0-9]+\\]")!;
  assert.equal(varying.placeOf([plain("req=")]), 0);
  assert.equal(varying.placeOf([plain("]")]), null, "after a count that varies");
  // `bx5ax` matches with its `ax` at 3: a needle that only fits at 0 is not there in every match.
  assert.equal(ByteSequence.of("[ab]x\\d+ax")!.placeOf([plain("ax")]), null);
  const either = ByteSequence.of("web[\\u0031-\\u0032]\\d")!;
  assert.equal(either.placeOf([plain("web1"), plain("web2")]), 0, "each match holds one of them");
  assert.equal(either.placeOf([plain("web1")]), null, "`web2` too");
  assert.equal(either.placeOf([plain("web1"), plain("web3")]), null);
  assert.equal(either.placeOf([plain("web1"), plain("web")]), null, "of different lengths");
  const folded = ByteSequence.of("x[\\u0057\\u0077][\\u0045\\u0065]\\d")!;
  assert.equal(folded.placeOf([caseless("we")]), 1, "a caseless needle: both cases");
  assert.equal(folded.placeOf([plain("we")]), null, "a plain one: `WE` is not it");
  assert.equal(folded.placeOf([caseless("we"), caseless("wf")]), null);
  // Two needles against sets that spell 26^7 strings: given up at once, none are listed.
  const letters = ByteSequence.of("[\\u0061-\\u007a]{7}")!;
  assert.equal(letters.placeOf([plain("abcdefg"), plain("bbcdefg")]), null);
});

Deno.test("a sequence's literal before its first loop is its longest run of one-byte sets", () => {
  const literal = (source: string) => {
    const found = ByteSequence.of(source)!.prefixLiteral();
    return found && [dec.decode(found.bytes), found.at];
  };
  assert.deepEqual(literal("svc=\\w+ req=\\w"), ["svc=", 0]);
  assert.deepEqual(literal("\\dab[xy]cde\\d+f"), ["cde", 4], "the longest run");
  assert.deepEqual(literal("x[ab]y=\\d+"), ["y=", 2]);
  assert.deepEqual(literal("xé\\d+"), ["xé", 0], "a character of two bytes: two sets");
  assert.equal(literal("\\d+ab"), null, "nothing before the loop");
  assert.equal(literal("[ab]\\d"), null, "no set of one byte");
});

Deno.test("SequenceLines decides random lines as the regex does, line after line", () => {
  const next = rng(5);
  const cases: [string, string[]][] = [
    ["took=\\d{2}ms", ["took="]],
    ["web(?:1|2)[\\u0030-\\u0039]", ["web1", "web2"]],
    ["a[ab]b", ["a"]],
    ["[ab]{2}ab", ["ab"]],
    ["\\wé\\d", ["é"]],
    ["took=\\d+ms", ["took="]],
    ["ab\\d{2,3}_b", ["ab"]],
    ["ab_*\\dm+s", ["ab"]],
    ["ab\\d*_?m", ["ab"]],
    ["a\\d{1,2}b*", ["a"]],
    ["b\\w{1,}é", ["b"]],
    ["^ab\\d*", ["ab"]], // the line's start and end
    ["ab\\d?$", ["ab"]],
    ["^a\\w+$", ["a"]],
    ["b\\d{2}\\$", ["b"]], // an escaped dollar
    ["a\\d+[ab]{2}", ["a"]], // `ab` fits at 0 too, but may come after the digits only
    ["[\\u0057\\u0077]eb\\d+", ["web", "Web"]],
  ];
  const words = ["took=", "1", "22", "ms", "web", "2", "a", "b", "ab", "é", "_", " ", "\xff", "$"];
  for (let round = 0; round < 2000; round++) {
    const [source, literals] = cases[round % cases.length]!;
    const sequence = ByteSequence.of(source)!;
    const regex = new RegExp(source);
    const searched = literals.map((l) => new Needle(enc.encode(l)));
    const place = sequence.placeOf(searched)!;
    const needles: PlacedNeedle[] = searched.map((needle) => ({ needle, place }));
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
    const finder = search.needleFinder(bytes);
    const decide = new SequenceLines(sequence, needles, bytes, { left: 1e6 }, finder);
    for (const [start, stop] of lines) {
      if (next() < 0.3) continue;
      const where = `${source} in ${JSON.stringify(dec.decode(bytes))} at ${start}`;
      const want = regex.test(dec.decode(bytes.subarray(start, stop)));
      assert.equal(decide.holdsMatch(start, stop), want, where);
    }
  }
});

Deno.test("SequenceLines gives up once it has compared its budget", () => {
  const sequence = ByteSequence.of("aab{8}c")!;
  const bytes = enc.encode("a".repeat(1000));
  const aa = new Needle(enc.encode("aa"));
  const needles = [{ needle: aa, place: sequence.placeOf([aa])! }];
  const finder = search.needleFinder(bytes);
  const lines = (left: number) => new SequenceLines(sequence, needles, bytes, { left }, finder);
  assert.equal(lines(1e6).holdsMatch(0, 1000), false);
  assert.equal(lines(500).holdsMatch(0, 1000), null);
  // A long run taken again from every place: counted byte by byte.
  const run = ByteSequence.of("ab[ab]*c")!;
  const ab = enc.encode("ab".repeat(500));
  const needle = new Needle(enc.encode("ab"));
  const placed = [{ needle, place: run.placeOf([needle])! }];
  const abFinder = search.needleFinder(ab);
  const runs = (left: number) => new SequenceLines(run, placed, ab, { left }, abFinder);
  assert.equal(runs(1e6).holdsMatch(0, 1000), false);
  assert.equal(runs(20_000).holdsMatch(0, 1000), null);
});
