import assert from "node:assert/strict";
import {
  latin1LoadDue,
  latin1Of,
  latin1Ready,
  loadLatin1Slicer,
  noteLatin1Wanted,
} from "./latin1.ts";
import { LineBatch, searchText } from "./line_batch.ts";
import { compileMatcher, compileRe2jsMatcher, preloadRe2js } from "./matcher.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);

function assertLatin1(text: string, bytes: Uint8Array): void {
  assert.equal(text.length, bytes.length);
  for (let i = 0; i < bytes.length; i++) assert.equal(text.charCodeAt(i), bytes[i], `byte ${i}`);
}

// First: the module's state is fresh in this file's isolate (nothing loaded, nothing noted).
Deno.test("batches are decoded as UTF-8 until 8 MiB of them, with those to come, want Latin-1", async () => {
  const matcher = compileMatcher("[0-9]+ms");
  assert.equal(matcher.asciiOnly, true);
  const bytes = enc.encode("took 5ms ça va\n");
  assert.equal(latin1LoadDue(1 << 30), false, "no batch wanted it yet, however many bytes come");
  const before = new LineBatch(bytes, 1);
  assert.equal(latin1Ready(), false);
  assert.equal(before.readsLatin1(matcher), false);
  assert.equal(before.latin1Wanted, true);
  assert.equal(searchText(before, matcher), "took 5ms ça va\n", "the UTF-8 text");
  assert.equal(new LineBatch(enc.encode("ascii\n"), 1).readsLatin1(matcher), false);
  assert.equal(new LineBatch(enc.encode("ascii\n"), 1).latin1Wanted, false);
  assert.equal(latin1LoadDue((8 << 20) - bytes.length - 1), false);
  assert.equal(latin1LoadDue((8 << 20) - bytes.length), true, "the bytes to come count");
  noteLatin1Wanted((8 << 20) - 2 * bytes.length);
  assert.equal(latin1LoadDue(), false);
  const decodedFirst = new LineBatch(bytes, 1);
  assert.equal(decodedFirst.byteAligned, false, "decoded before (the selector asks this first)");
  searchText(decodedFirst, matcher); // searched as UTF-8: noted all the same
  assert.equal(latin1LoadDue(), true);
  await loadLatin1Slicer();
  assert.equal(latin1Ready(), true);
  assert.equal(latin1LoadDue(1 << 30), false);
  const after = new LineBatch(bytes, 1);
  assert.equal(after.readsLatin1(matcher), true);
  assert.equal(searchText(after, matcher).length, bytes.length);
  assert.equal(before.readsLatin1(matcher), false, "a batch keeps its answer");
});

Deno.test("latin1Of reads each byte as one character, through node:buffer or base64", async () => {
  assertLatin1(latin1Of(everyByte), everyByte);
  assertLatin1(latin1Of(everyByte.subarray(100, 300)), everyByte.subarray(100));
  assert.equal(latin1Of(new Uint8Array(0)), "");
  await loadLatin1Slicer();
  assert.equal(latin1Ready(), true);
  assertLatin1(latin1Of(everyByte), everyByte);
  assertLatin1(latin1Of(everyByte.subarray(7, 9)), everyByte.subarray(7, 9));
  assertLatin1(atob(everyByte.toBase64()), everyByte); // the way without node:buffer
});

/**
 * Non-ASCII pieces: 2-, 3- and 4-byte characters (with U+212A and U+017F, which Go folds with k
 * and s), invalid and truncated sequences, a BOM.
 */
const NON_ASCII = ["é", "€", "😀", "\u00a0", "\u2028", "\ufeff", "\u212a", "\u017f"]
  .map((s) => enc.encode(s))
  .concat([[0xff], [0xe2, 0x82], [0x80, 0x80], [0xc3]].map((b) => Uint8Array.from(b)));

/** `line`'s bytes with non-ASCII pieces put in at random places (or put instead of characters). */
function withNonAscii(line: string, next: () => number): Uint8Array {
  const out: number[] = [];
  for (const b of enc.encode(line)) {
    const r = next();
    if (r < 0.15) out.push(...NON_ASCII[Math.floor(next() * NON_ASCII.length)]!);
    if (r < 0.05) continue; // the character replaced
    out.push(b);
  }
  if (next() < 0.3) out.push(...NON_ASCII[Math.floor(next() * NON_ASCII.length)]!);
  return Uint8Array.from(out);
}

interface GoldenCase {
  readonly pattern: string;
  readonly lines: string[];
  readonly go: { readonly accepted: boolean };
}

const golden: { cases: GoldenCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("../tests/testdata/re2/golden.json", import.meta.url)),
);

/** Patterns with loops over every non-ASCII character, besides the golden ones. */
const LOOPS = [
  "ERROR.*lock",
  "a.+.+b",
  "a[^x]+b",
  "\\S+@\\S+",
  "x.*y.*z",
  "x.+y.*z",
  "(?s)a.*b$",
  "^.*c$",
];
const LOOP_LINES = [
  "DISK ok",
  "a€b",
  "Kks",
  "ERROR lock",
  "ERRORlock",
  "a b",
  "ab",
  "u@h",
  "x y z",
  "xyz",
  "a\nb",
  "c",
];

Deno.test("an asciiOnly matcher selects the same lines in Latin-1 bytes as in UTF-8 text", async () => {
  await preloadRe2js();
  await loadLatin1Slicer();
  const next = rng(1234);
  const cases = [
    ...golden.cases.filter((c) => c.go.accepted),
    ...LOOPS.map((pattern) => ({ pattern, lines: LOOP_LINES })),
  ];
  let checked = 0;
  let utf8Only = 0;
  for (const { pattern, lines } of cases) {
    for (const withNewline of [false, true]) {
      let matcher;
      try {
        matcher = compileMatcher(pattern, { noopAllowed: false, withNewline });
      } catch {
        continue; // refused here (see docs/decisions.md, RE2 against the Go dgrep)
      }
      if (!matcher.asciiOnly) continue;
      const re2js = compileRe2jsMatcher(pattern, { withNewline });
      for (const line of lines) {
        for (let round = 0; round < 12; round++) {
          const bytes = round === 0 ? enc.encode(line) : withNonAscii(line, next);
          const utf8 = dec.decode(bytes);
          const latin1 = latin1Of(bytes);
          const want = re2js.test(utf8);
          const where = `/${pattern}/ withNewline ${withNewline} on ${JSON.stringify(latin1)}`;
          assert.equal(matcher.test(utf8), want, where);
          if (!new LineBatch(bytes, 1).readsLatin1(matcher)) {
            utf8Only++; // ASCII, or holding a character of latin1Unless
            continue;
          }
          assert.equal(matcher.test(latin1), want, `${where} (Latin-1)`);
          assert.equal(re2js.test(latin1), want, `${where} (Latin-1, re2js)`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 2000, `${checked} lines checked`);
  assert.ok(utf8Only > 100, `${utf8Only} lines read as UTF-8`);
});

Deno.test("a pattern that counts characters is not asciiOnly, and would differ", () => {
  const bytes = enc.encode("aéb");
  for (const pattern of ["a.b", "a.+.+b", "a\\Bb|a.*\\B.*b"]) {
    const matcher = compileMatcher(pattern);
    assert.equal(matcher.asciiOnly, false, pattern);
    assert.notEqual(matcher.test(dec.decode(bytes)), matcher.test(latin1Of(bytes)), pattern);
  }
});

Deno.test("bytes holding a character of latin1Unless are not read as Latin-1, which would differ", async () => {
  await loadLatin1Slicer();
  const matcher = compileMatcher("(?i)disk");
  assert.equal(matcher.asciiOnly, true);
  const bytes = enc.encode("di\u017f\u212a full"); // "diſK": Go's (?i)disk matches it
  assert.equal(matcher.test(dec.decode(bytes)), true);
  assert.equal(matcher.test(latin1Of(bytes)), false);
  assert.equal(new LineBatch(bytes, 1).readsLatin1(matcher), false);
  assert.equal(new LineBatch(enc.encode("disque dür"), 1).readsLatin1(matcher), true);
});
