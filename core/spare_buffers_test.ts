import assert from "node:assert/strict";
import { SPARE_UNIT, SpareBuffers } from "./spare_buffers.ts";

Deno.test("a buffer given back serves a later request it fits, up to twice that request", () => {
  const spares = new SpareBuffers(1 << 20);
  const a = spares.take(SPARE_UNIT);
  spares.give(a);
  assert.equal(spares.bytes, SPARE_UNIT);
  assert.notEqual(spares.take(SPARE_UNIT + 1), a, "too small for a larger request");
  assert.notEqual(spares.take(SPARE_UNIT / 2 - 1), a, "more than twice a smaller one");
  assert.equal(spares.take(SPARE_UNIT / 2), a, "exactly twice");
  assert.equal(spares.bytes, 0);
  assert.notEqual(spares.take(SPARE_UNIT / 2), a, "taken once");
});

Deno.test("a request takes the smallest spare that fits it", () => {
  const spares = new SpareBuffers(1 << 20);
  const [big, small, middle] = [3, 1, 2].map((units) => spares.take(units * SPARE_UNIT));
  for (const b of [big!, small!, middle!]) spares.give(b);
  assert.equal(spares.take(SPARE_UNIT + 1), middle);
  assert.equal(spares.take(SPARE_UNIT), small);
  assert.notEqual(spares.take(SPARE_UNIT), big, "more than twice the request");
  assert.equal(spares.take(1.5 * SPARE_UNIT), big, "twice the request");
});

Deno.test("new buffers are whole units, unless the request's maximum is less", () => {
  const spares = new SpareBuffers(1 << 20);
  assert.equal(spares.take(1).length, 2, "twice one byte is less than a unit");
  assert.equal(spares.take(SPARE_UNIT + 1).length, 2 * SPARE_UNIT);
  assert.equal(spares.take(131_108).length, 3 * SPARE_UNIT);
  assert.equal(spares.take(131_108, 131_108).length, 131_108, "an exact request");
  assert.equal(spares.take(2 * SPARE_UNIT).length, 2 * SPARE_UNIT);
});

Deno.test("spares hold at most their bound: the ones given back longest ago make room", () => {
  const spares = new SpareBuffers(3 * SPARE_UNIT);
  const [a, b, c, d] = [0, 1, 2, 3].map(() => spares.take(SPARE_UNIT));
  spares.give(a!);
  spares.give(b!);
  spares.give(c!);
  spares.give(d!); // a goes
  assert.equal(spares.bytes, 3 * SPARE_UNIT);
  const taken = [0, 1, 2].map(() => spares.take(SPARE_UNIT));
  assert.deepEqual(new Set(taken), new Set([b, c, d]));
  assert.equal(spares.bytes, 0);
  spares.give(spares.take(4 * SPARE_UNIT));
  assert.equal(spares.bytes, 0, "a buffer larger than the bound is let go");
});

Deno.test("a large spare given back makes room by dropping as many old ones as it needs", () => {
  const spares = new SpareBuffers(3 * SPARE_UNIT);
  const [a, b, c] = [0, 1, 2].map(() => spares.take(SPARE_UNIT));
  for (const x of [a!, b!, c!]) spares.give(x);
  const large = spares.take(2 * SPARE_UNIT, 2 * SPARE_UNIT);
  assert.equal(spares.bytes, 3 * SPARE_UNIT, "a request no spare fits leaves them");
  spares.give(large);
  assert.equal(spares.bytes, 3 * SPARE_UNIT);
  assert.equal(spares.take(2 * SPARE_UNIT), large);
  assert.equal(spares.take(SPARE_UNIT), c, "the newest small one stayed");
  assert.equal(spares.bytes, 0);
});
