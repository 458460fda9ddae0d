import assert from "node:assert/strict";
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import { LineBatch } from "./line_batch.ts";
import { LineCutter } from "./line_cutter.ts";

const NL = 10;
const MARKS = [0xab, 0xac] as const;

/** What a printer makes of a batch's regions: per line, the lines skipped before it, its bounds, its mark. */
function cut(batch: LineBatch, regions: number[], marks: readonly [number, number] | null) {
  const cutter = new LineCutter(batch, marks);
  const out: string[] = [];
  let counted = 0;
  for (let i = 0; i < regions.length; i += 2) {
    const regionEnd = regions[i + 1]!;
    let start = regions[i]!;
    const skipped = cutter.newlines(counted, start);
    while (start < regionEnd) {
      const end = cutter.lineEnd(start, regionEnd);
      out.push(`${skipped}:${start}-${end}${cutter.marked ? "*" : ""}`);
      start = end === regionEnd ? regionEnd : end + 1;
    }
    counted = regionEnd;
  }
  return out;
}

/** The same by a plain byte loop. */
function expected(bytes: Uint8Array, regions: number[], marks: readonly [number, number] | null) {
  const out: string[] = [];
  let counted = 0;
  for (let i = 0; i < regions.length; i += 2) {
    const regionEnd = regions[i + 1]!;
    let start = regions[i]!;
    let skipped = 0;
    for (let j = counted; j < start; j++) if (bytes[j] === NL) skipped++;
    while (start < regionEnd) {
      let end = start;
      let marked = false;
      while (end < regionEnd && bytes[end] !== NL) {
        if (marks !== null && (bytes[end] === marks[0] || bytes[end] === marks[1])) marked = true;
        end++;
      }
      out.push(`${skipped}:${start}-${end}${marked ? "*" : ""}`);
      start = end === regionEnd ? regionEnd : end + 1;
    }
    counted = regionEnd;
  }
  return out;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

/** Lines of random length over a few byte values (newlines, marks, ASCII, invalid UTF-8). */
function randomLines(next: (n: number) => number, lines: number): Uint8Array {
  const alphabet = [0x61, 0x62, 0x20, 0xab, 0xac, 0xe2, 0x82, 0xff, 0x41];
  const parts: number[] = [];
  for (let l = 0; l < lines; l++) {
    const long = next(20) === 0;
    for (let n = long ? next(3000) : next(40); n > 0; n--) {
      parts.push(alphabet[next(alphabet.length)]!);
    }
    if (l < lines - 1 || next(2) === 0) parts.push(NL);
  }
  return new Uint8Array(parts);
}

/** Regions at line bounds: runs of whole lines, some merged, some lines left out. */
function randomRegions(next: (n: number) => number, bytes: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === NL && i + 1 < bytes.length) starts.push(i + 1);
  }
  const regions: number[] = [];
  let i = 0;
  while (i < starts.length) {
    const take = 1 + next(4);
    if (next(3) > 0) {
      const end = i + take < starts.length ? starts[i + take]! : bytes.length;
      regions.push(starts[i]!, end);
    }
    i += take + next(3);
  }
  return regions;
}

Deno.test("lines, skipped lines and marks are found as a byte loop finds them, in plain and read-buffer memory", () => {
  const next = rng(7);
  for (let round = 0; round < 300; round++) {
    const bytes = randomLines(next, 1 + next(200));
    const regions = randomRegions(next, bytes);
    const inBuffer = readBuffer(bytes.length).subarray(0, bytes.length);
    inBuffer.set(bytes);
    for (const b of [bytes, inBuffer]) {
      for (const marks of [null, MARKS] as const) {
        const batch = new LineBatch(b, 1);
        assert.deepEqual(cut(batch, regions, marks), expected(b, regions, marks), `round ${round}`);
      }
    }
    releaseBuffer(inBuffer);
  }
});

Deno.test("a batch decoded already is cut in its text, with the same result", () => {
  const next = rng(11);
  const alphabet = [0x78, 0x78, 0xab, 0xac, NL]; // each byte one UTF-16 unit ("x" or U+FFFD)
  let marked = 0;
  for (let round = 0; round < 100; round++) {
    const bytes = Uint8Array.from({ length: next(400) }, () => alphabet[next(alphabet.length)]!);
    const regions = randomRegions(next, bytes);
    const batch = new LineBatch(bytes, 1);
    assert.equal(batch.text.length, bytes.length); // decoded, byte-aligned
    for (const marks of [[0xab, 0xac], [0xac, 0xab], null] as const) {
      const got = cut(batch, regions, marks);
      assert.deepEqual(got, expected(bytes, regions, marks));
      marked += got.filter((line) => line.endsWith("*")).length;
    }
  }
  assert.ok(marked > 100);
});

Deno.test("a line with more marked bytes than the lister holds at once is cut whole", () => {
  const line = new Uint8Array(100_000).fill(0xac);
  const bytes = new Uint8Array([0x61, NL, ...line, NL, 0x62, NL]);
  const regions = [0, bytes.length];
  const batch = new LineBatch(bytes, 1);
  const got = cut(batch, regions, MARKS);
  assert.deepEqual(got, [
    "0:0-1",
    `0:2-${2 + line.length}*`,
    `0:${3 + line.length}-${4 + line.length}`,
  ]);
  assert.deepEqual(got, expected(bytes, regions, MARKS));
});

Deno.test("a batch of many more lines than the lister holds at once is cut whole", () => {
  const bytes = new Uint8Array(200_001).fill(NL);
  bytes[200_000] = 0x61;
  const batch = new LineBatch(bytes, 1);
  const regions = [5, 100_000, 150_000, bytes.length];
  const got = cut(batch, regions, null);
  assert.equal(got.length, 99_995 + 50_001);
  assert.deepEqual(got, expected(bytes, regions, null));
});
