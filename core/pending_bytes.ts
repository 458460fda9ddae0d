/**
 * The start of something still without its end (a message, a line), copied in as its pieces
 * arrive (the chunk they came in may be reused) into a buffer that doubles: gathering n bytes costs
 * O(n) whatever the pieces' sizes, where joining the whole at every piece cost O(n²).
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
    if (length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.#buffer.length, 256));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(piece, this.#length);
    this.#length = length;
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
}
