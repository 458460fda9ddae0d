/**
 * Buffers given back for reuse. Fresh memory costs a page fault per 4 KiB the first time it is
 * touched (10–15 µs each on the 2-core test machine), which was a fifth of the CPU of moving data
 * over SSH on each side (docs/performance.md). A buffer is given back only by whoever last held
 * it, once it refers to it no more; what is kept is bounded.
 *
 * A request takes the smallest spare that fits it and is at most twice its size, so that buffers
 * of nearby sizes (SSH packets, blocks with a header) serve each other; new buffers are made in
 * whole units so that they fit the slightly larger requests that follow. When the bound is reached
 * the spares given back longest ago make room: a size no longer asked for does not hold it.
 */

/** New buffers are a whole number of these (or the request's exact size when it says so). */
export const SPARE_UNIT = 64 * 1024;

interface Spare {
  readonly buffer: Uint8Array<ArrayBuffer>;
  /** When it was given back (a counter): the oldest go first when room is needed. */
  readonly given: number;
}

export class SpareBuffers {
  /** Ordered by length. */
  readonly #free: Spare[] = [];
  #bytes = 0;
  #gives = 0;

  /** `maxBytes`: what the spares may hold in all. */
  constructor(private readonly maxBytes: number) {}

  /**
   * A buffer of at least `size` and at most `max` bytes (default: twice `size`), a spare one when
   * one fits (its old bytes still in it). A new one is `size` rounded up to a whole unit, or `max`
   * if that is less.
   */
  take(size: number, max: number = 2 * size): Uint8Array<ArrayBuffer> {
    const free = this.#free;
    const i = firstAtLeast(free, size);
    const spare = free[i];
    if (spare === undefined || spare.buffer.length > max) {
      return new Uint8Array(Math.max(size, Math.min(max, roundUp(size, SPARE_UNIT))));
    }
    free.splice(i, 1);
    this.#bytes -= spare.buffer.length;
    return spare.buffer;
  }

  /** Keeps a whole buffer (`take`'s, or one of the same kind) for a later `take`. */
  give(buffer: Uint8Array<ArrayBuffer>): void {
    const size = buffer.length;
    if (size > this.maxBytes) return;
    while (this.#bytes + size > this.maxBytes) this.#dropOldest();
    const free = this.#free;
    free.splice(firstAtLeast(free, size), 0, { buffer, given: this.#gives++ });
    this.#bytes += size;
  }

  /** What the spares hold now, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  #dropOldest(): void {
    const free = this.#free;
    let oldest = 0;
    for (let i = 1; i < free.length; i++) {
      if (free[i]!.given < free[oldest]!.given) oldest = i;
    }
    this.#bytes -= free[oldest]!.buffer.length;
    free.splice(oldest, 1);
  }
}

/** The index of the first spare of at least `size` bytes (free.length: none). */
function firstAtLeast(free: readonly Spare[], size: number): number {
  let lo = 0, hi = free.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (free[mid]!.buffer.length < size) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function roundUp(n: number, unit: number): number {
  return Math.ceil(Math.max(n, 1) / unit) * unit;
}
