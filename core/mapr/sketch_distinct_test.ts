import assert from "node:assert/strict";
import { DistinctSketch } from "./sketch_distinct.ts";

function relativeError(sketch: DistinctSketch, n: number): number {
  return Math.abs(sketch.estimate() / n - 1);
}

function sketchOf(from: number, to: number, name = (i: number) => `user${i}`): DistinctSketch {
  const sketch = new DistinctSketch();
  for (let i = from; i < to; i++) sketch.addString(name(i));
  return sketch;
}

Deno.test("a million distinct values are counted within 2%", () => {
  const names = (i: number) => `user${i}`;
  const hex = (i: number) => (Math.imul(i, 0x9e3779b1) >>> 0).toString(16) + "-" + i;
  for (const name of [names, hex, String]) {
    const sketch = sketchOf(0, 1_000_000, name);
    assert.ok(relativeError(sketch, 1_000_000) <= 0.02, `estimate ${sketch.estimate()}`);
  }
});

Deno.test("every cardinality from 1 to 200k is within 2%, small sets exactly", () => {
  for (const n of [1, 2, 5, 17, 100, 1000, 2048]) {
    assert.equal(Math.round(sketchOf(0, n).estimate()), n, `n=${n}`);
  }
  for (const n of [2049, 5000, 20_000, 40_000, 80_000, 200_000]) {
    const sketch = sketchOf(0, n);
    assert.ok(relativeError(sketch, n) <= 0.02, `n=${n}: ${sketch.estimate()}`);
  }
  assert.equal(new DistinctSketch().estimate(), 0);
});

Deno.test("a value added again is not counted again", () => {
  const sketch = new DistinctSketch();
  for (let round = 0; round < 3; round++) for (let i = 0; i < 50; i++) sketch.addString(`v${i}`);
  assert.equal(Math.round(sketch.estimate()), 50);
});

Deno.test("merged sketches of overlapping sets count their union", () => {
  // 0–600k and 400k–1M: a union of 1M, 200k of it in both.
  const a = sketchOf(0, 600_000);
  a.merge(sketchOf(400_000, 1_000_000));
  assert.ok(relativeError(a, 1_000_000) <= 0.02, `estimate ${a.estimate()}`);
  // Sparse into sparse (exact), sparse into dense, dense into sparse.
  const small = sketchOf(0, 300);
  small.merge(sketchOf(200, 500));
  assert.equal(Math.round(small.estimate()), 500);
  const dense = sketchOf(0, 50_000);
  dense.merge(sketchOf(49_000, 50_500));
  assert.ok(relativeError(dense, 50_500) <= 0.02);
  const sparse = sketchOf(0, 1000);
  sparse.merge(sketchOf(500, 60_000));
  assert.ok(relativeError(sparse, 60_000) <= 0.02);
});

Deno.test("merging in any order and grouping gives the same estimate", () => {
  const parts = [sketchOf(0, 1500), sketchOf(1000, 9000), sketchOf(8000, 8100)];
  const forward = new DistinctSketch();
  for (const p of parts) forward.merge(p);
  const backward = new DistinctSketch();
  for (const p of [...parts].reverse()) backward.merge(p);
  const whole = sketchOf(0, 9000);
  assert.equal(forward.estimate(), backward.estimate());
  assert.equal(forward.estimate(), whole.estimate());
});

Deno.test("a text hashes as its UTF-8 bytes, lone surrogates as U+FFFD", () => {
  const encoder = new TextEncoder();
  for (const text of ["", "a", "abcd", "abcde", "grüße", "日本語", "emoji 🎉!", "x\ud800y"]) {
    const byText = new DistinctSketch();
    byText.addString(text);
    const bytes = encoder.encode(text);
    const byBytes = new DistinctSketch();
    byBytes.addBytes(new Uint8Array([7, ...bytes, 7]), 1, bytes.length + 1);
    assert.deepEqual(byText.serialize(), byBytes.serialize(), text);
  }
});

Deno.test("sparse and dense sketches read back from their bytes and base64 unchanged", () => {
  for (const n of [0, 1, 700, 30_000]) {
    const sketch = sketchOf(0, n);
    const back = DistinctSketch.deserialize(sketch.serialize())!;
    assert.equal(back.estimate(), sketch.estimate(), `n=${n}`);
    assert.equal(DistinctSketch.fromBase64(sketch.toBase64())!.estimate(), sketch.estimate());
    back.addString("one more");
    assert.ok(back.estimate() >= sketch.estimate());
  }
  // A dense sketch is 3 bytes per 4 registers, 12 KiB; a sparse one a few bytes per value.
  assert.ok(sketchOf(0, 30_000).serialize().length <= 12_300);
  assert.ok(sketchOf(0, 100).serialize().length <= 500);
});

Deno.test("bytes that are no sketch of ours read as null", () => {
  const sparse = sketchOf(0, 10).serialize();
  const dense = sketchOf(0, 10_000).serialize();
  assert.equal(DistinctSketch.deserialize(sparse.subarray(0, sparse.length - 1)), null);
  assert.equal(DistinctSketch.deserialize(dense.subarray(0, dense.length - 1)), null);
  assert.equal(DistinctSketch.deserialize(new Uint8Array([...dense, 0])), null);
  assert.equal(DistinctSketch.deserialize(new Uint8Array([2, ...sparse.subarray(1)])), null);
  assert.equal(DistinctSketch.deserialize(new Uint8Array([1, 7])), null);
  const badRegister = dense.slice();
  badRegister[2] = 0xff; // registers of 63: beyond any rank
  assert.equal(DistinctSketch.deserialize(badRegister), null);
  assert.equal(DistinctSketch.fromBase64("%%%"), null);
});
