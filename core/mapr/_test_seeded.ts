/** Test helper: a seeded random source, so generated logs and values are the same every run. */

/** A seeded uniform in [0, 1) (xorshift); `seed` must not be 0. */
export function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
