/**
 * Buffers given back for reuse, by size. Fresh memory costs a page fault per 4 KiB the first time
 * it is touched (10–15 µs each on the 2-core test machine), which was a fifth of the CPU of moving
 * data over SSH on each side (docs/performance.md). A buffer is given back only by whoever last
 * held it, once it refers to it no more; what is kept is bounded.
 */

/** The size a buffer for `n` bytes is taken in: the next power of two (at most twice `n`). */
export function spareSize(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
}

export class SpareBuffers {
  readonly #free = new Map<number, Uint8Array<ArrayBuffer>[]>();
  #bytes = 0;

  /** `maxBytes`: what the spares may hold in all; beyond it a given-back buffer is let go. */
  constructor(private readonly maxBytes: number) {}

  /** A buffer of `size` bytes, a spare one when there is one (its old bytes still in it). */
  take(size: number): Uint8Array<ArrayBuffer> {
    const buffer = this.#free.get(size)?.pop();
    if (buffer === undefined) return new Uint8Array(size);
    this.#bytes -= size;
    return buffer;
  }

  /** Keeps a whole buffer (`take`'s, or one of the same kind) for a later `take` of its size. */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    const size = buffer.length;
    if (this.#bytes + size > this.maxBytes) return;
    this.#bytes += size;
    const free = this.#free.get(size);
    if (free === undefined) this.#free.set(size, [buffer]);
    else free.push(buffer);
  }

  /** What the spares hold now, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }
}
