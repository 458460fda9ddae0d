import assert from "node:assert/strict";
import { byteSearch } from "./byte_search.ts";
import { NewlineIndex } from "./newline_index.ts";
import { seeded } from "./mapr/_test_seeded.ts";

/** Lines of random lengths (empty ones too), with or without a last "\n". */
function randomLines(next: () => number, count: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push("x".repeat(Math.floor(next() * next() * 300)));
  return new TextEncoder().encode(parts.join("\n") + (next() < 0.5 ? "\n" : ""));
}

function lineStarts(bytes: Uint8Array): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10 && i + 1 < bytes.length) starts.push(i + 1);
  }
  return bytes.length === 0 ? [] : starts;
}

function scannedEnd(bytes: Uint8Array, start: number): number {
  const nl = bytes.indexOf(10, start);
  return nl < 0 ? bytes.length : nl + 1;
}

/** What select.ts scanned before the index: up to `lines` line starts back from `stop`. */
function scannedBefore(
  bytes: Uint8Array,
  from: number,
  stop: number,
  lines: number,
): [number, number] {
  let first = stop;
  let n = 0;
  for (; n < lines && first > from; n++) {
    first = first - 2 < from ? from : Math.max(from, bytes.lastIndexOf(10, first - 2) + 1);
  }
  return [first, n];
}

Deno.test("a batch's line ends are found as a scan finds them", () => {
  const next = seeded(7);
  const index = new NewlineIndex();
  for (let round = 0; round < 200; round++) {
    const bytes = randomLines(next, Math.floor(next() * 60));
    assert.ok(index.index(bytes));
    for (const start of lineStarts(bytes)) {
      assert.equal(index.lineEnd(start), scannedEnd(bytes, start), `round ${round} at ${start}`);
    }
  }
});

Deno.test("the lines before a line start are the ones a backward scan finds", () => {
  const next = seeded(8);
  const index = new NewlineIndex();
  for (let round = 0; round < 200; round++) {
    const bytes = randomLines(next, 1 + Math.floor(next() * 60));
    index.index(bytes);
    const starts = [...lineStarts(bytes), bytes.length];
    // Ascending (from, stop) pairs, as select.ts asks them, and a few that go back.
    let from = 0;
    for (let i = 0; i < 20; i++) {
      const later = starts.filter((s) => s >= from);
      const stop = later[Math.floor(next() * later.length)]!;
      const lines = Math.floor(next() * 6);
      const first = index.linesBefore(from, stop, lines);
      assert.deepEqual(
        [first, index.found],
        scannedBefore(bytes, from, stop, lines),
        `round ${round}: ${lines} lines before ${stop} from ${from}`,
      );
      from = next() < 0.2 ? starts[Math.floor(next() * starts.length)]! : stop;
    }
  }
});

Deno.test("a batch in a read buffer and one copied in are indexed alike", () => {
  const search = byteSearch();
  assert.ok(search !== null, "this Deno has WebAssembly SIMD");
  const bytes = randomLines(seeded(9), 40_000); // more lines than one listing call returns
  const read = search.readBuffer(bytes.length)!;
  read.set(bytes);
  try {
    const index = new NewlineIndex();
    for (const batch of [bytes, read.subarray(0, bytes.length)]) {
      index.index(batch);
      let lines = 0;
      for (let at = 0; at < batch.length; at = index.lineEnd(at)) lines++;
      assert.equal(lines, lineStarts(bytes).length);
    }
  } finally {
    search.releaseBuffer(read);
  }
});

Deno.test("a long list is let go of after its batch, and the next batch is listed anew", () => {
  const index = new NewlineIndex();
  const empty = new Uint8Array(100_000).fill(10); // a hundred thousand empty lines
  index.index(empty);
  assert.equal(index.lineEnd(50_000), 50_001);
  assert.ok(index.room >= 100_000);
  index.release();
  assert.ok(index.room <= 16 * 1024, `${index.room} entries kept`);
  const small = new TextEncoder().encode("ab\ncd\n");
  index.index(small);
  assert.equal(index.lineEnd(0), 3);
  assert.equal(index.lineEnd(3), 6);
});
