/**
 * The start of something still without its end (a message, a line), copied in as its pieces
 * arrive (the chunk they came in may be reused) into a buffer that doubles: gathering n bytes costs
 * O(n) whatever the pieces' sizes, where joining the whole at every piece cost O(n²). Used by the
 * client's message readers and the line splitter (core/lines.ts), which also cuts from its front.
 */
export class PendingBytes {
  #buffer = new Uint8Array(0);
  #length = 0;

  /** `keep`: a buffer up to this size is reused for the next start; a bigger one is let go. */
  constructor(private readonly keep = 64 * 1024) {}

  get length(): number {
    return this.#length;
  }

  append(piece: Uint8Array): void {
    const length = this.#length + piece.length;
    this.#ensure(length);
    this.#buffer.set(piece, this.#length);
    this.#length = length;
  }

  /** Empties the buffer and returns `size` writable bytes at its start (all of it, pending). */
  reset(size: number): Uint8Array {
    this.#length = 0;
    this.#ensure(size);
    this.#length = size;
    return this.#buffer.subarray(0, size);
  }

  /** Drops the first `n` bytes gathered. */
  dropFront(n: number): void {
    if (n === 0) return;
    this.#buffer.copyWithin(0, n, this.#length);
    this.#length -= n;
  }

  /** The bytes gathered, as a view valid until the next append or clear. */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /** The bytes gathered followed by `end`, as a new array; nothing stays pending. */
  take(end: Uint8Array): Uint8Array {
    const whole = new Uint8Array(this.#length + end.length);
    whole.set(this.view());
    whole.set(end, this.#length);
    this.clear();
    return whole;
  }

  clear(): void {
    this.#length = 0;
    if (this.#buffer.length > this.keep) this.#buffer = new Uint8Array(0);
  }

  #ensure(capacity: number): void {
    if (capacity <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(capacity, 2 * this.#buffer.length, 256));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}
