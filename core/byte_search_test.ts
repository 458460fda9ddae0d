import assert from "node:assert/strict";
import { byteNeedle, byteSearch, caselessNeedle, Needle } from "./byte_search.ts";
import { byteSearchWasmModule } from "./byte_search_wasm.ts";
import { concatBytes } from "./bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { ignoreBOM: true });
const search = byteSearch()!;

/**
 * The reference: [start, end) of each line whose decoded text holds `literal` (`caseless`: with
 * A–Z in the line and in the literal read as a–z).
 */
function decodedLines(bytes: Uint8Array, literal: string, caseless = false): number[] {
  const fold = (text: string) => caseless ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text;
  const out: number[] = [];
  for (let start = 0; start < bytes.length;) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    const withNewline = literal.endsWith("\n");
    const line = dec.decode(bytes.subarray(start, withNewline ? end : nl < 0 ? end : nl));
    if (fold(line).includes(fold(literal))) out.push(start, end);
    start = end;
  }
  return out;
}

function merged(pairs: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    if (out.length > 0 && out[out.length - 1] === pairs[i]) out[out.length - 1] = pairs[i + 1]!;
    else out.push(pairs[i]!, pairs[i + 1]!);
  }
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

Deno.test("the embedded module is the one byte_search_wasm.ts assembles", async () => {
  const file = await Deno.readTextFile(new URL("./byte_search_wasm_bytes.ts", import.meta.url));
  assert.equal(file, byteSearchWasmModule(), "run: deno run core/byte_search_wasm.ts");
});

Deno.test("WebAssembly with SIMD is available to the byte search here", () => {
  assert.ok(search !== null);
});

Deno.test("linesWith finds the lines whose decoded text holds the literal", () => {
  const text = "hello\nfoo ERROR x\nbar\nERROR ERROR\n\nzzz ERROR";
  const bytes = enc.encode(text);
  const regions: number[] = [];
  assert.equal(search.linesWith(bytes, byteNeedle("ERROR")!, regions), 3);
  assert.deepEqual(regions, [6, 18, 22, 34, 35, 44]);
  const joined: number[] = [];
  search.linesWith(enc.encode("a\na\nb\na"), byteNeedle("a")!, joined, { merge: true });
  assert.deepEqual(joined, [0, 4, 6, 7]);
});

Deno.test("linesWith agrees with a decoded search on random bytes and needles", () => {
  const next = rng(7);
  const words = ["ab", "a", "b", "é", "€", "😀", "\r", " ", "ERROR", "\xff", "\xe2\x82", "x"];
  const needles = ["a", "ab", "ba", "é", "€b", "😀", "ERROR", "b\r", "aaaaaaaaaaaaaaaaaab", "x\n"];
  for (let round = 0; round < 1500; round++) {
    const parts: number[] = [];
    const n = Math.floor(next() * (round % 10 === 0 ? 400 : 40));
    for (let i = 0; i < n; i++) {
      const w = words[Math.floor(next() * words.length)]!;
      if (w.startsWith("\xff") || w.startsWith("\xe2")) {
        parts.push(...Array.from(w, (c) => c.charCodeAt(0)));
      } else parts.push(...enc.encode(w));
      if (next() < 0.2) parts.push(10);
    }
    const bytes = new Uint8Array(parts);
    const literal = needles[Math.floor(next() * needles.length)]!;
    const want = decodedLines(bytes, literal);
    const got: number[] = [];
    const found = search.linesWith(bytes, byteNeedle(literal)!, got);
    const where = `round ${round}: ${JSON.stringify(literal)} in ${
      JSON.stringify(dec.decode(bytes))
    }`;
    assert.deepEqual(got, want, where);
    assert.equal(found, want.length / 2, where);
    const joined: number[] = [];
    search.linesWith(bytes, byteNeedle(literal)!, joined, { merge: true });
    assert.deepEqual(joined, merged(want), where);
    const max = 1 + Math.floor(next() * 3);
    const some: number[] = [];
    assert.equal(
      search.linesWith(bytes, byteNeedle(literal)!, some, { maxLines: max }),
      Math.min(max, want.length / 2),
    );
    assert.deepEqual(some, want.slice(0, 2 * max), where);
  }
});

Deno.test("a caseless needle finds its letters in either case, and nothing else", () => {
  const next = rng(11);
  // The bytes around the letters that a careless fold would take for them: @ [ ` { and 0xC0–0xFA.
  const words = ["Error", "eRRoR", "e", "R", "@", "[", "`", "{", "À", "ú", "K", "\u212a", "k", " "];
  const needles = [
    "error",
    "ERROR",
    "e",
    "rR",
    "@r",
    "`{",
    "k",
    "Kelvin",
    "a[",
    "Àe",
    "r r",
    "x\n",
  ];
  for (let round = 0; round < 1500; round++) {
    const parts: number[] = [];
    const n = Math.floor(next() * (round % 10 === 0 ? 400 : 40));
    for (let i = 0; i < n; i++) {
      parts.push(...enc.encode(words[Math.floor(next() * words.length)]!));
      if (next() < 0.2) parts.push(10);
    }
    const bytes = new Uint8Array(parts);
    const literal = needles[Math.floor(next() * needles.length)]!;
    const needle = caselessNeedle(literal)!;
    const want = decodedLines(bytes, literal, true);
    const where = `round ${round}: ${JSON.stringify(literal)} in ${
      JSON.stringify(dec.decode(bytes))
    }`;
    const got: number[] = [];
    assert.equal(search.linesWith(bytes, needle, got), want.length / 2, where);
    assert.deepEqual(got, want, where);
    const joined: number[] = [];
    search.linesWith(bytes, needle, joined, { merge: true });
    assert.deepEqual(joined, merged(want), where);
  }
  assert.deepEqual(caselessNeedle("Ab-Ü")!.bytes, enc.encode("ab-Ü"), "only ASCII letters fold");
  assert.equal(byteNeedle("Ab")!.caseless, false);
});

Deno.test("linesWith finds a needle at every offset around the 32-byte blocks and the end", () => {
  for (const literal of ["Q", "QZ", "QUARTZ", "QUARTZ-QUARTZ-QUARTZ-Q"]) {
    for (let length = literal.length; length < 110; length++) {
      for (let at = 0; at + literal.length <= length; at++) {
        const line = ".".repeat(at) + literal + ".".repeat(length - at - literal.length);
        const bytes = enc.encode(`first\n${line}\nlast`);
        const regions: number[] = [];
        search.linesWith(bytes, byteNeedle(literal)!, regions);
        assert.deepEqual(regions, [6, 6 + length + 1], `${literal} at ${at} of ${length}`);
        const alone: number[] = [];
        search.linesWith(enc.encode(line), byteNeedle(literal)!, alone);
        assert.deepEqual(alone, [0, length], `${literal} at ${at} of ${length}, no newline`);
      }
    }
  }
});

Deno.test("linesWith goes on past a full output buffer and merges across it", () => {
  // 20,000 pairs of adjacent lines: more pairs than one call's output buffer holds.
  const bytes = enc.encode("hit\nhit\nmiss\n".repeat(20_000));
  const each: number[] = [];
  assert.equal(search.linesWith(bytes, byteNeedle("hit")!, each), 40_000);
  assert.deepEqual(each, decodedLines(bytes, "hit"));
  const joined: number[] = [];
  search.linesWith(bytes, byteNeedle("hit")!, joined, { merge: true });
  assert.deepEqual(joined, Array.from({ length: 20_000 }, (_, i) => [13 * i, 13 * i + 8]).flat());
  const limited: number[] = [];
  assert.equal(search.linesWith(bytes, byteNeedle("hit")!, limited, { maxLines: 30_001 }), 30_001);
  assert.deepEqual(limited, each.slice(0, 60_002));
});

Deno.test("linesWith replaces what an array held when asked, whatever it held", () => {
  const bytes = enc.encode("hit\nhit\nmiss\n".repeat(20_000));
  const hit = byteNeedle("hit")!;
  const fresh: number[] = [];
  search.linesWith(bytes, hit, fresh, { merge: true });
  for (const stale of [[], [7], [1, 0], Array(100_000).fill(0), [0, 0, 0, 0]]) {
    // A stale array ending in 0 must not take the first line (at 0) as a continuation.
    const regions = [...stale];
    assert.equal(search.linesWith(bytes, hit, regions, { merge: true, replace: true }), 40_000);
    assert.equal(regions.length, fresh.length, `stale ${stale.length}`);
    assert.deepEqual(regions, fresh, `stale ${stale.length}`);
  }
  const regions = [1, 2, 3, 4];
  assert.equal(search.linesWith(enc.encode("h"), hit, regions, { replace: true }), 0);
  assert.deepEqual(regions, [], "a batch shorter than the needle leaves nothing");
  search.linesWith(enc.encode("miss\nhit\n"), hit, regions, { replace: true });
  assert.deepEqual(regions, [5, 9]);
  search.linesWith(enc.encode("hit\n"), hit, regions, { replace: false });
  assert.deepEqual(regions, [5, 9, 0, 4], "appended without replace");
});

Deno.test("linesWith and countLines take batches larger than the memory they started with", () => {
  const line = "x".repeat(99) + "\n";
  const bytes = enc.encode(line.repeat(60_000) + "needle\n"); // 6 MB
  const regions: number[] = [];
  assert.equal(search.linesWith(bytes, byteNeedle("needle")!, regions), 1);
  assert.deepEqual(regions, [6_000_000, 6_000_007]);
  assert.equal(search.countLines(bytes), 60_001);
});

Deno.test("countLines counts every newline of random slices", () => {
  const next = rng(11);
  const bytes = Uint8Array.from({ length: 5000 }, () => next() < 0.1 ? 10 : 97);
  for (let round = 0; round < 500; round++) {
    const from = Math.floor(next() * bytes.length);
    const to = from + Math.floor(next() * (bytes.length - from));
    const slice = bytes.subarray(from, to);
    assert.equal(search.countLines(slice), slice.filter((b) => b === 10).length);
  }
});

Deno.test("isAscii finds one byte above 0x7f at every offset around the 32-byte blocks", () => {
  const bytes = new Uint8Array(100).fill(0x7f);
  for (const length of [0, 1, 15, 16, 31, 32, 33, 64, 100]) {
    const slice = bytes.subarray(0, length);
    assert.equal(search.isAscii(slice), true, `${length} ASCII bytes`);
    for (let at = 0; at < length; at++) {
      for (const high of [0x80, 0xff]) {
        slice[at] = high;
        assert.equal(search.isAscii(slice), false, `${high} at ${at} of ${length}`);
        assert.equal(search.isAscii(slice.subarray(at + 1)), true, `after ${at} of ${length}`);
        slice[at] = 0x7f;
      }
    }
  }
});

Deno.test("byteNeedle refuses literals whose bytes could differ from the decoded text", () => {
  assert.equal(byteNeedle(""), null);
  assert.equal(byteNeedle("a\uFFFDb"), null, "invalid bytes decode to U+FFFD");
  assert.equal(byteNeedle("a\uD800"), null, "a lone surrogate");
  assert.equal(byteNeedle("a\nb"), null, "a newline inside");
  assert.deepEqual(byteNeedle("ab\n")?.bytes, enc.encode("ab\n"));
  assert.deepEqual(byteNeedle("😀ü")?.bytes, enc.encode("😀ü"));
});

Deno.test("a needle compares its rarest bytes first", () => {
  const needle = new Needle(enc.encode("aaaaZaaaaQ"));
  assert.deepEqual([needle.p1, needle.p2].sort(), [4, 9]);
  const one = new Needle(enc.encode("x"));
  assert.deepEqual([one.p1, one.p2], [0, 0]);
  const same = new Needle(enc.encode("zzzz"));
  assert.notEqual(same.p1, same.p2);
});

Deno.test("a read buffer is searched in place, and handed to the next reader once released", () => {
  const buffer = search.readBuffer(4096)!;
  assert.equal(buffer.length, 4096);
  const text = enc.encode("first\nsecond needle\nthird\n");
  buffer.set(text, 100);
  const regions: number[] = [];
  assert.equal(
    search.linesWith(buffer.subarray(100, 100 + text.length), byteNeedle("needle")!, regions),
    1,
  );
  assert.deepEqual(regions, [6, 20]);
  assert.equal(search.countLines(buffer.subarray(100, 100 + text.length)), 3);
  // A large copied batch grows the shared memory only: the read buffer stays usable.
  search.linesWith(new Uint8Array(3 << 20), byteNeedle("needle")!, []);
  assert.equal(buffer.length, 4096);
  search.releaseBuffer(buffer);
  const next = search.readBuffer(1000)!;
  assert.equal(next.buffer, buffer.buffer, "the released memory is reused");
  search.releaseBuffer(next);
  search.releaseBuffer(new Uint8Array(10)); // not a read buffer: ignored
});

/** Where `a` and `b` first differ (the shorter one's length if one is a prefix), or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

Deno.test("gather writes the regions of a read buffer in order, in few pieces, whatever their sizes", () => {
  const size = 3 << 20;
  const buffer = search.readBuffer(size)!;
  const next = rng(17);
  for (let i = 0; i < size; i++) buffer[i] = next() * 256;
  const cases: number[][] = [
    [0, 1, 5, 9], // small ones
    [0, size], // one region larger than the room: written as it is
    [10, 20, 100, (1 << 20) + 100, (2 << 20) + 7, (2 << 20) + 9], // a large one between small ones
  ];
  const many: number[] = []; // more small ones than the room takes at once
  for (let at = 3; at + 200 < size; at += 250 + Math.floor(next() * 300)) many.push(at, at + 200);
  cases.push(many);
  const random: number[] = []; // every size from one byte to past the room
  for (let at = 0; at < size;) {
    const end = Math.min(size, at + 1 + Math.floor(next() ** 6 * (1 << 21)));
    if (next() < 0.6) random.push(at, end);
    at = end + Math.floor(next() * 64);
  }
  cases.push(random);
  for (const regions of cases) {
    const want = concatBytes(
      ...regions.flatMap((r, i) => i % 2 ? [] : [buffer.subarray(r, regions[i + 1])]),
    );
    const pieces: Uint8Array[] = [];
    const before = buffer.slice();
    assert.ok(search.gather(buffer, regions, (p) => pieces.push(p.slice())));
    assert.equal(
      firstDifference(concatBytes(...pieces), want),
      -1,
      `${regions.length / 2} regions`,
    );
    assert.equal(firstDifference(buffer, before), -1, "the read buffer is left as it was");
    assert.ok(pieces.length <= Math.ceil(regions.length / 2), "never more pieces than regions");
  }
  assert.ok(search.gather(buffer, many, () => {}) && many.length > 2000);
  // Regions of a view into the buffer are offsets in the view.
  const text = enc.encode("skip\nkeep\nskip\nkeep too\n");
  buffer.set(text, 1000);
  const parts: string[] = [];
  search.gather(
    buffer.subarray(1000, 1000 + text.length),
    [5, 10, 15, 24],
    (p) => parts.push(dec.decode(p)),
  );
  assert.equal(parts.join(""), "keep\nkeep too\n");
  assert.equal(parts.length, 1, "small regions come as one piece");
  search.releaseBuffer(buffer);
  assert.equal(search.gather(new Uint8Array(10), [0, 5], () => assert.fail("written")), false);
});

/** The reference: the indices of the bytes `|`, `=` and "\n" in `bytes[at, end)`. */
function separatorsOf(bytes: Uint8Array, at: number, end: number): number[] {
  const out: number[] = [];
  for (let i = at; i < end; i++) {
    if (bytes[i] === 124 || bytes[i] === 61 || bytes[i] === 10) out.push(i);
  }
  return out;
}

/** Every entry a separator lister lists from `at` to `end`, call after call, and the calls' ends. */
function listAll(
  bytes: Uint8Array,
  at: number,
  end: number,
): { entries: number[]; ends: number[] } {
  const entries: number[] = [];
  const ends: number[] = [];
  const lister = search.separatorLister(bytes, 124, 61);
  while (at < end) {
    const listed = lister.list(at, end);
    assert.ok(listed > at, `no progress at ${at}`);
    entries.push(...lister.entries.subarray(lister.first, lister.first + lister.count));
    ends.push(listed);
    at = listed;
  }
  return { entries, ends };
}

Deno.test("a separator lister lists every bar, equals sign and newline, in a read buffer and copied", () => {
  const next = rng(7);
  const alphabet = [..."ab|=\n é"].map((c) => enc.encode(c));
  for (let round = 0; round < 40; round++) {
    const parts: number[] = [];
    const length = Math.floor(next() * 600);
    while (parts.length < length) parts.push(...alphabet[Math.floor(next() * alphabet.length)]!);
    const text = Uint8Array.from(parts);
    const at = Math.floor(next() * 20);
    const plain = new Uint8Array(at + text.length + 7);
    plain.set(text, at);
    const buffer = search.readBuffer(4096)!;
    buffer.set(text, at + 3);
    const inPlace = buffer.subarray(3, 3 + at + text.length);
    for (const bytes of [plain, inPlace]) {
      const end = at + text.length;
      const { entries, ends } = listAll(bytes, at, end);
      assert.deepEqual(entries, separatorsOf(bytes, at, end));
      assert.deepEqual(ends, end > at ? [end] : []);
    }
    search.releaseBuffer(buffer);
  }
});

Deno.test("a separator lister lists whole lines only when they do not all fit, and not one line too long", () => {
  const line = "k=v|".repeat(1000) + "\n"; // 2,001 entries a line
  const bytes = enc.encode(line.repeat(40));
  const { entries, ends } = listAll(bytes, 0, bytes.length);
  assert.deepEqual(entries, separatorsOf(bytes, 0, bytes.length));
  assert.ok(ends.length > 1, "more than one call");
  for (const end of ends) assert.equal(bytes[end - 1], 10, `call ended at a line end: ${end}`);
  const next = rng(3);
  const random = Uint8Array.from(
    { length: 300_000 },
    () => "ab|=\n"[Math.floor(next() * 5)]!.charCodeAt(0),
  );
  for (const at of [0, 1, 17]) {
    const listing = listAll(random, at, random.length - at);
    assert.deepEqual(listing.entries, separatorsOf(random, at, random.length - at));
    assert.ok(listing.ends.length > 5, "many calls");
    for (const end of listing.ends.slice(0, -1)) assert.equal(random[end - 1], 10);
  }
  const long = enc.encode("a=b|".repeat(20_000) + "\nx|y\n");
  const lister = search.separatorLister(long, 124, 61);
  assert.equal(lister.list(0, long.length), 0, "a line over the room: none");
  const after = long.indexOf(10) + 1;
  assert.equal(lister.list(after, long.length), long.length);
  const { first, count, entries: list } = lister;
  assert.deepEqual([...list.subarray(first, first + count)], [after + 1, after + 3]);
});
