import assert from "node:assert/strict";
import { SpareBuffers, spareSize } from "./spare_buffers.ts";

Deno.test("a buffer given back is taken again for its size only", () => {
  const spares = new SpareBuffers(1 << 20);
  const a = spares.take(4096);
  assert.equal(a.length, 4096);
  spares.give(a);
  assert.equal(spares.bytes, 4096);
  assert.notEqual(spares.take(8192), a, "another size is new memory");
  assert.equal(spares.take(4096), a);
  assert.equal(spares.bytes, 0);
  assert.notEqual(spares.take(4096), a, "taken once");
});

Deno.test("spares hold at most their bound; beyond it a buffer is let go", () => {
  const spares = new SpareBuffers(10_000);
  const [a, b, c] = [spares.take(4096), spares.take(4096), spares.take(4096)];
  spares.give(a);
  spares.give(b);
  spares.give(c); // 12,288 > 10,000
  assert.equal(spares.bytes, 8192);
  const taken = [spares.take(4096), spares.take(4096), spares.take(4096)];
  assert.ok(taken.includes(a) && taken.includes(b), "the two kept ones come back");
  assert.ok(!taken.includes(c), "the one beyond the bound was let go");
});

Deno.test("spare sizes are the next power of two", () => {
  assert.deepEqual([1, 2, 3, 16_384, 16_385, 1 << 20].map(spareSize), [
    1,
    2,
    4,
    16_384,
    32_768,
    1 << 20,
  ]);
});
