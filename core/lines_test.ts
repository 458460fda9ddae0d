import assert from "node:assert/strict";
import { reusedChunks } from "./_test_chunks.ts";
import { splitLines, type SplitOptions } from "./lines.ts";
import { countNewlines } from "./line_batch.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Collected {
  lines: string[];
  numbers: number[];
  longLines: number;
}

/** Splits the delivered batches back into lines (each keeping its "\n") with their numbers. */
async function collect(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitOptions,
): Promise<Collected> {
  let longLines = 0;
  const lines: string[] = [];
  const numbers: number[] = [];
  let unterminated = false;
  for await (
    const batch of splitLines(chunks, { ...options, onLongLine: () => longLines++ })
  ) {
    const text = dec.decode(batch.bytes);
    assert.ok(text.length > 0, "no empty batches");
    assert.ok(!unterminated, "only the last batch may end without a newline");
    unterminated = !text.endsWith("\n");
    let lineNo = batch.firstLineNo;
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
      lines.push(line);
      numbers.push(lineNo);
      if (options.numbered) lineNo++;
    }
  }
  return { lines, numbers, longLines };
}

/** The obvious line splitter: cut each line's content into `max`-sized pieces. */
function reference(input: string, max: number, flushPartial = true): Collected {
  const lines: string[] = [];
  let longLines = 0;
  const parts = input.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  for (const part of parts) {
    const terminated = part.endsWith("\n");
    if (!terminated && !flushPartial) {
      // Only complete pieces of an unterminated line are delivered.
      if (part.length > max) {
        longLines++;
        const full = Math.floor((part.length - 1) / max);
        for (let i = 0; i < full; i++) lines.push(part.slice(i * max, (i + 1) * max) + "\n");
      }
      continue;
    }
    const content = terminated ? part.slice(0, -1) : part;
    if (content.length <= max) {
      lines.push(part);
      continue;
    }
    longLines++;
    for (let i = 0; i < content.length; i += max) {
      const last = i + max >= content.length;
      lines.push(content.slice(i, i + max) + (last ? (terminated ? "\n" : "") : "\n"));
    }
  }
  return { lines, numbers: lines.map((_, i) => i + 1), longLines };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomInput(next: () => number, length: number): string {
  const alphabet = ["a", "b", "\n", "\n", "\r", "x"];
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(next() * alphabet.length)]!;
  return s;
}

function randomSizes(next: () => number, total: number, maxSize: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const n = Math.min(left, 1 + Math.floor(next() * maxSize));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

Deno.test("splitLines delivers whole lines, keeping their newline", async () => {
  const got = await collect(reusedChunks(enc.encode("one\ntwo\n\nthree\n"), [100]), {});
  assert.deepEqual(got.lines, ["one\n", "two\n", "\n", "three\n"]);
  assert.equal(got.longLines, 0);
});

Deno.test("splitLines delivers a last line that has no newline", async () => {
  const got = await collect(reusedChunks(enc.encode("one\ntwo"), [3, 2, 2]), {});
  assert.deepEqual(got.lines, ["one\n", "two"]);
});

Deno.test("splitLines drops an unterminated last line when flushPartial is false", async () => {
  const got = await collect(reusedChunks(enc.encode("one\ntwo"), [7]), { flushPartial: false });
  assert.deepEqual(got.lines, ["one\n"]);
});

Deno.test("splitLines keeps the carriage return of CRLF lines", async () => {
  const got = await collect(reusedChunks(enc.encode("a\r\nb\r\n"), [2, 1, 3]), {});
  assert.deepEqual(got.lines, ["a\r\n", "b\r\n"]);
});

Deno.test("splitLines yields nothing for empty input or empty chunks", async () => {
  const got = await collect(reusedChunks(new Uint8Array(0), [0, 0]), {});
  assert.deepEqual(got.lines, []);
});

Deno.test("splitLines numbers lines from 1 across batches when numbered", async () => {
  const input = "a\nb\nc\nd\ne";
  const got = await collect(reusedChunks(enc.encode(input), [3, 1, 1, 4, 1]), { numbered: true });
  assert.deepEqual(got.lines, ["a\n", "b\n", "c\n", "d\n", "e"]);
  assert.deepEqual(got.numbers, [1, 2, 3, 4, 5]);
});

Deno.test("splitLines leaves firstLineNo at 0 when not numbered", async () => {
  for await (const batch of splitLines(reusedChunks(enc.encode("a\nb\n"), [2, 2]))) {
    assert.equal(batch.firstLineNo, 0);
  }
});

Deno.test("splitLines cuts a long line into maxLineLength pieces and reports it once", async () => {
  const got = await collect(reusedChunks(enc.encode("abcdefghij\nok\n"), [14]), {
    maxLineLength: 4,
  });
  assert.deepEqual(got.lines, ["abcd\n", "efgh\n", "ij\n", "ok\n"]);
  assert.equal(got.longLines, 1);
});

Deno.test("splitLines does not cut a line of exactly maxLineLength", async () => {
  const got = await collect(reusedChunks(enc.encode("abcd\nabcde\n"), [11]), { maxLineLength: 4 });
  assert.deepEqual(got.lines, ["abcd\n", "abcd\n", "e\n"]);
  assert.equal(got.longLines, 1);
});

Deno.test("splitLines cuts a long line that arrives one byte at a time", async () => {
  const input = "0123456789\nxy\n0123";
  const got = await collect(reusedChunks(enc.encode(input), Array(input.length).fill(1)), {
    maxLineLength: 3,
    numbered: true,
  });
  assert.deepEqual(got.lines, ["012\n", "345\n", "678\n", "9\n", "xy\n", "012\n", "3"]);
  assert.deepEqual(got.numbers, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(got.longLines, 2);
});

Deno.test("splitLines agrees with a reference splitter at every two-chunk boundary", async () => {
  const next = rng(7);
  for (const max of [1, 2, 3, 5, 1000]) {
    const input = randomInput(next, 60) + "aaaaaaaaaaaaa\nbbbbbbb";
    const bytes = enc.encode(input);
    for (const flushPartial of [true, false]) {
      const want = reference(input, max, flushPartial);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const got = await collect(reusedChunks(bytes, [cut, bytes.length - cut]), {
          maxLineLength: max,
          numbered: true,
          flushPartial,
        });
        const where = `max ${max}, flush ${flushPartial}, cut at ${cut} of ${
          JSON.stringify(input)
        }`;
        assert.deepEqual(got.lines, want.lines, where);
        assert.deepEqual(got.numbers, want.numbers, where);
        assert.equal(got.longLines, want.longLines, where);
      }
    }
  }
});

Deno.test("splitLines agrees with a reference splitter for random inputs and chunk sizes", async () => {
  const next = rng(42);
  for (let round = 0; round < 400; round++) {
    const input = randomInput(next, Math.floor(next() * 200));
    const max = 1 + Math.floor(next() * 12);
    const bytes = enc.encode(input);
    const sizes = randomSizes(next, bytes.length, 1 + Math.floor(next() * 40));
    const want = reference(input, max);
    const got = await collect(reusedChunks(bytes, sizes), { maxLineLength: max, numbered: true });
    const where = `round ${round}: max ${max}, sizes ${sizes} of ${JSON.stringify(input)}`;
    assert.deepEqual(got.lines, want.lines, where);
    assert.deepEqual(got.numbers, want.numbers, where);
    assert.equal(got.longLines, want.longLines, where);
  }
});

Deno.test("splitLines never splits a multi-byte character between lines it did not cut", async () => {
  const input = "é€😀\nü\n";
  const bytes = enc.encode(input);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const got = await collect(reusedChunks(bytes, [cut, bytes.length - cut]), {});
    assert.deepEqual(got.lines, ["é€😀\n", "ü\n"], `cut at ${cut}`);
  }
});

Deno.test("splitLines numbers batches consistently with countNewlines", async () => {
  const bytes = enc.encode("a\nb\nc\n".repeat(100));
  let expected = 1;
  for await (
    const batch of splitLines(reusedChunks(bytes, randomSizes(rng(3), bytes.length, 17)), {
      numbered: true,
    })
  ) {
    assert.equal(batch.firstLineNo, expected);
    expected += countNewlines(batch, 0, batch.bytes.length);
  }
  assert.equal(expected, 301);
});

Deno.test("splitLines streams a 5 MB line in pieces without holding the whole line", async () => {
  const MiB = 1 << 20;
  const total = 5 * 1000 * 1000;
  const chunkSize = 64 * 1024;
  let produced = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    const buf = new Uint8Array(chunkSize).fill(0x61);
    while (produced < total) {
      const n = Math.min(chunkSize, total - produced);
      produced += n;
      yield buf.subarray(0, n);
    }
    produced++;
    yield enc.encode("\nnext\n");
  }
  let longLines = 0;
  let delivered = 0;
  let largestBatch = 0;
  const pieces: number[] = [];
  for await (
    const batch of splitLines(source(), { maxLineLength: MiB, onLongLine: () => longLines++ })
  ) {
    // Each batch arrives before much more than one piece of input was read past it.
    assert.ok(
      produced - delivered <= 2 * MiB + chunkSize,
      `read ${produced}, delivered ${delivered}`,
    );
    largestBatch = Math.max(largestBatch, batch.bytes.length);
    delivered += batch.bytes.length;
    const text = dec.decode(batch.bytes);
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) pieces.push(line.length);
  }
  assert.equal(longLines, 1);
  assert.ok(largestBatch <= 2 * (MiB + 1), `largest batch ${largestBatch}`);
  assert.deepEqual(pieces, [MiB + 1, MiB + 1, MiB + 1, MiB + 1, total - 4 * MiB + 1, 5]);
});
