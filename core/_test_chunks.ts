/** Test helper: chunk streams that behave like the real sources. */

/**
 * A chunk stream over one reused buffer, scribbled with "#" after each chunk is consumed: a
 * stage that keeps a view of old bytes instead of copying them sees garbage.
 */
export async function* reusedChunks(
  data: Uint8Array,
  sizes: number[],
): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(Math.max(1, ...sizes));
  let off = 0;
  for (const size of sizes) {
    const n = Math.min(size, data.length - off);
    buf.set(data.subarray(off, off + n));
    off += n;
    yield buf.subarray(0, n);
    buf.fill(0x23);
  }
  if (off !== data.length) throw new Error("chunk sizes do not cover the input");
}
