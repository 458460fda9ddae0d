import assert from "node:assert/strict";
import { BeforeContext, type HeldLine } from "./before_context.ts";
import { LineBatch } from "./line_batch.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A batch of `lines` (each with "\n") and its lines as held lines. */
function batchOf(lines: string[], firstLineNo = 1): [LineBatch, HeldLine[]] {
  const batch = new LineBatch(encoder.encode(lines.join("")), firstLineNo);
  let at = 0;
  const held = lines.map((text, i) => {
    const line = { batch, start: at, end: at + text.length, lineNo: firstLineNo + i };
    at += text.length;
    return line;
  });
  return [batch, held];
}

const texts = (lines: HeldLine[]) =>
  lines.map((l) => decoder.decode(l.batch.bytes.subarray(l.start, l.end)));

Deno.test("the before-context holds the last N lines, oldest first", () => {
  const context = new BeforeContext(2);
  const [, lines] = batchOf(["a\n", "b\n", "c\n"]);
  for (const line of lines) context.push(line);
  assert.deepEqual(texts(context.take()), ["b\n", "c\n"]);
  assert.equal(context.size, 0);
  assert.equal(context.dropped, 0);
});

Deno.test("the before-context drops the oldest lines beyond its bytes, and tells it at the next match", () => {
  let told = 0;
  // Each line costs its 10 bytes and the per-line cost (96): two fit in 250, three do not.
  const context = new BeforeContext(1_000_000, () => told++, 250);
  const [, lines] = batchOf(["000000001\n", "000000002\n", "000000003\n", "000000004\n"]);
  for (const line of lines) context.push(line);
  assert.equal(context.size, 2);
  assert.equal(context.dropped, 2);
  assert.equal(told, 0, "nothing is told before a match shows the shorter context");
  assert.deepEqual(texts(context.take()), ["000000003\n", "000000004\n"]);
  assert.equal(told, 1);
  for (const line of lines) context.push(line);
  context.take();
  assert.equal(told, 1, "told once per source");
});

Deno.test("a match after lines dropped for their count alone tells nothing", () => {
  let told = 0;
  const context = new BeforeContext(1, () => told++, 250);
  const [, lines] = batchOf(["a\n", "b\n", "c\n"]);
  for (const line of lines) context.push(line);
  assert.deepEqual(texts(context.take()), ["c\n"]);
  assert.equal(told, 0);
});

Deno.test("the held lines of a batch are copied into one batch that outlives it", () => {
  const context = new BeforeContext(10);
  const [first, older] = batchOf(["x\n", "y\n"], 1);
  for (const line of older) context.push(line);
  context.keepCopies(first);
  const [second, newer] = batchOf(["z1\n", "z2\n"], 3);
  for (const line of newer) context.push(line);
  context.keepCopies(second);
  second.bytes.fill(0x21); // the batch's buffer is reused
  first.bytes.fill(0x21);
  const held = context.take();
  assert.deepEqual(texts(held), ["x\n", "y\n", "z1\n", "z2\n"]);
  assert.deepEqual(held.map((l) => l.lineNo), [1, 2, 3, 4]);
  assert.equal(new Set(held.map((l) => l.batch)).size, 2, "one copy per batch");
  assert.ok(held.every((l) => l.batch !== first && l.batch !== second));
});

Deno.test("a long run of held lines is not shifted line by line (the queue compacts)", () => {
  const context = new BeforeContext(3);
  const lines = Array.from({ length: 100_000 }, (_, i) => `${i}\n`);
  const [, held] = batchOf(lines);
  for (const line of held) context.push(line);
  assert.deepEqual(texts(context.take()), ["99997\n", "99998\n", "99999\n"]);
});
