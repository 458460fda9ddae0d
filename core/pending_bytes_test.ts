import assert from "node:assert/strict";
import { PendingBytes } from "./pending_bytes.ts";

Deno.test("pieces gathered in any sizes come back whole, in order", () => {
  const pending = new PendingBytes(1024);
  const expected: number[] = [];
  for (let n = 0; n < 200; n++) {
    const piece = new Uint8Array((n * 37) % 300).map((_, i) => (n + i) & 0xff);
    pending.append(piece);
    expected.push(...piece);
  }
  assert.equal(pending.length, expected.length);
  assert.deepEqual([...pending.view()], expected);
  assert.deepEqual([...pending.take(new Uint8Array([1, 2]))], [...expected, 1, 2]);
  assert.equal(pending.length, 0);
  assert.deepEqual(pending.view(), new Uint8Array(0));
});

Deno.test("what take returns is not changed by later pieces", () => {
  const pending = new PendingBytes();
  pending.append(new Uint8Array([1, 2, 3]));
  const first = pending.take(new Uint8Array(0));
  pending.append(new Uint8Array([9, 9, 9, 9]));
  assert.deepEqual(first, new Uint8Array([1, 2, 3]));
  assert.deepEqual(pending.view(), new Uint8Array([9, 9, 9, 9]));
});

Deno.test("a piece is copied: reusing the caller's chunk does not change what was gathered", () => {
  const pending = new PendingBytes();
  const chunk = new Uint8Array([5, 6, 7]);
  pending.append(chunk);
  chunk.fill(0);
  assert.deepEqual(pending.view(), new Uint8Array([5, 6, 7]));
});

Deno.test("reset hands out writable bytes, and dropFront keeps the rest in order", () => {
  const pending = new PendingBytes();
  pending.append(new Uint8Array([1, 2, 3]));
  const out = pending.reset(5);
  assert.equal(out.length, 5);
  out.set([9, 8, 7, 6, 5]);
  assert.deepEqual(pending.view(), new Uint8Array([9, 8, 7, 6, 5]));
  pending.dropFront(2);
  assert.deepEqual(pending.view(), new Uint8Array([7, 6, 5]));
  pending.append(new Uint8Array([4]));
  assert.deepEqual(pending.view(), new Uint8Array([7, 6, 5, 4]));
  pending.dropFront(0);
  assert.equal(pending.length, 4);
});
