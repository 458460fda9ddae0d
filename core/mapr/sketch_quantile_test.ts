import assert from "node:assert/strict";
import { MAX_BUCKETS, QUANTILE_ALPHA, QuantileSketch } from "./sketch_quantile.ts";

/** A seeded uniform in [0, 1) (mulberry32): the same values every run. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** The value of rank ⌊q·(n − 1)⌋ of the sorted values: what the sketch approximates. */
function exact(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function assertWithinAlpha(sketch: QuantileSketch, values: Float64Array, what: string) {
  const sorted = Float64Array.from(values).sort();
  for (const q of QS) {
    const want = exact(sorted, q);
    const got = sketch.quantile(q);
    // A hair over α for the rounding of log() at a bucket's edge.
    const bound = QUANTILE_ALPHA * Math.abs(want) * (1 + 1e-9);
    assert.ok(Math.abs(got - want) <= bound, `${what} q=${q}: got ${got}, exact ${want}`);
  }
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const DISTRIBUTIONS: Record<string, (random: () => number) => number> = {
  "uniform": (r) => r() * 1000,
  "exponential": (r) => -Math.log(1 - r()) * 120,
  "lognormal": (r) => Math.exp(3 + 1.5 * normal(r)),
  "normal around 0, negatives too": (r) => normal(r) * 100,
  "integer milliseconds with many zeros": (r) => r() < 0.2 ? 0 : Math.floor(r() * r() * 5000),
  "twelve orders of magnitude": (r) => 10 ** (r() * 12 - 6),
};

function sample(name: string, n: number, seed: number): Float64Array {
  const random = seeded(seed);
  const draw = DISTRIBUTIONS[name]!;
  return Float64Array.from({ length: n }, () => draw(random));
}

for (const name of Object.keys(DISTRIBUTIONS)) {
  Deno.test(`every quantile of 100k values (${name}) is within α of the exact one`, () => {
    const values = sample(name, 100_000, 7);
    const sketch = new QuantileSketch();
    for (const v of values) sketch.add(v);
    assert.equal(sketch.count, values.length);
    assertWithinAlpha(sketch, values, name);
  });
}

Deno.test("three merged sketches give the quantiles of one sketch over all their values", () => {
  const values = sample("lognormal", 90_000, 11);
  const whole = new QuantileSketch();
  const parts = [new QuantileSketch(), new QuantileSketch(), new QuantileSketch()];
  values.forEach((v, i) => {
    whole.add(v);
    parts[i % 3]!.add(v * 1); // every third value to each part
  });
  const merged = new QuantileSketch();
  for (const part of parts) merged.merge(part);
  for (const q of QS) assert.equal(merged.quantile(q), whole.quantile(q), `q=${q}`);
  assertWithinAlpha(merged, values, "merged");
});

Deno.test("merging sketches of disjoint ranges and signs keeps every quantile within α", () => {
  const low = sample("normal around 0, negatives too", 30_000, 3);
  const high = sample("exponential", 30_000, 4).map((v) => v + 1e6);
  const a = new QuantileSketch();
  const b = new QuantileSketch();
  for (const v of low) a.add(v);
  for (const v of high) b.add(v);
  b.merge(a);
  const all = new Float64Array(low.length + high.length);
  all.set(low);
  all.set(high, low.length);
  assertWithinAlpha(b, all, "disjoint");
});

Deno.test("one value is its own every quantile; an empty sketch has none (NaN)", () => {
  const sketch = new QuantileSketch();
  assert.ok(Number.isNaN(sketch.quantile(0.5)));
  sketch.add(123.456);
  for (const q of QS) assert.equal(sketch.quantile(q), 123.456);
  const negative = new QuantileSketch();
  negative.add(-7);
  assert.equal(negative.quantile(0.99), -7);
});

Deno.test("NaN and infinities are ignored, the largest quantile is the exact maximum", () => {
  const sketch = new QuantileSketch();
  for (const v of [NaN, Infinity, -Infinity, 1, 2, 3]) sketch.add(v);
  assert.equal(sketch.count, 3);
  assert.equal(sketch.quantile(1), 3);
  assert.equal(sketch.quantile(0), 1);
  assert.ok(Math.abs(sketch.quantile(0.5) - 2) <= 2 * QUANTILE_ALPHA);
});

Deno.test("buckets stay bounded: over 600 orders of magnitude the lowest collapse", () => {
  const sketch = new QuantileSketch();
  const values: number[] = [];
  for (let e = -300; e <= 300; e += 0.01) values.push(10 ** e);
  for (const v of values) sketch.add(v);
  assert.ok(sketch.buckets <= MAX_BUCKETS, `${sketch.buckets} buckets`);
  // The top 2048 buckets span 17 orders of magnitude: the quantiles there keep their accuracy.
  const sorted = Float64Array.from(values).sort();
  for (const q of [0.98, 0.99, 0.999, 1]) {
    const want = exact(sorted, q);
    assert.ok(Math.abs(sketch.quantile(q) - want) <= QUANTILE_ALPHA * want * (1 + 1e-9), `q=${q}`);
  }
});

Deno.test("a serialized sketch reads back with the same quantiles, through base64 too", () => {
  const sketch = new QuantileSketch();
  for (const v of sample("normal around 0, negatives too", 10_000, 5)) sketch.add(v);
  sketch.add(0);
  const back = QuantileSketch.deserialize(sketch.serialize())!;
  const text = QuantileSketch.fromBase64(sketch.toBase64())!;
  assert.equal(back.count, sketch.count);
  for (const q of QS) {
    assert.equal(back.quantile(q), sketch.quantile(q));
    assert.equal(text.quantile(q), sketch.quantile(q));
  }
  assert.ok(QuantileSketch.fromBase64(new QuantileSketch().toBase64())!.count === 0);
});

Deno.test("bytes that are no sketch of ours read as null", () => {
  const good = new QuantileSketch();
  good.add(5);
  const bytes = good.serialize();
  assert.equal(QuantileSketch.deserialize(bytes.subarray(0, bytes.length - 1)), null);
  assert.equal(QuantileSketch.deserialize(new Uint8Array([...bytes, 0])), null);
  assert.equal(QuantileSketch.deserialize(new Uint8Array([9, ...bytes.subarray(1)])), null);
  assert.equal(QuantileSketch.deserialize(new Uint8Array([1, 50, ...bytes.subarray(2)])), null);
  assert.equal(QuantileSketch.deserialize(new Uint8Array(0)), null);
  assert.equal(QuantileSketch.fromBase64("not base64!"), null);
  assert.equal(QuantileSketch.fromBase64("12.5"), null);
});
