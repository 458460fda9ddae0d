/**
 * Output held back until the server confirms it (docs/protocol.md#resume, the client rule): a
 * session that follows with positions prints into `out`, and the bytes reach the real output only
 * when the position message after them arrives (`release`). The server writes a batch's lines and
 * its position in one write, so holding costs no latency. When the connection breaks, what is
 * still held is dropped (`discard`): the resume sends those lines again, so none is printed twice.
 */
import { BufferedOutput } from "../../core/output.ts";

export class HeldOutput {
  #out: BufferedOutput | null = null;
  /** Copies of what `out` wrote out while holding (a batch larger than its buffer). */
  #spilled: Uint8Array[] = [];
  #spilledBytes = 0;
  /** What `out`'s writes go to now: null while holding, the target while releasing. */
  #to: BufferedOutput | "drop" | null = null;

  constructor(private readonly target: BufferedOutput, private readonly size = 1 << 18) {}

  /** Where the session prints (its buffer is made on first use). */
  get out(): BufferedOutput {
    return this.#out ??= new BufferedOutput((bytes) => {
      if (this.#to === null) {
        this.#spilled.push(bytes.slice());
        this.#spilledBytes += bytes.length;
      } else if (this.#to !== "drop") this.#to.bytes(bytes);
    }, this.size);
  }

  /** Bytes held now. */
  get pending(): number {
    return (this.#out?.pending ?? 0) + this.#spilledBytes;
  }

  /** The server confirmed what was printed so far: on to the real output, in order. */
  release(): void {
    for (const piece of this.#spilled) this.target.bytes(piece);
    this.#spilled = [];
    this.#spilledBytes = 0;
    this.#flushTo(this.target);
  }

  /** The connection broke: what is held will come again. */
  discard(): void {
    this.#spilled = [];
    this.#spilledBytes = 0;
    this.#flushTo("drop");
  }

  #flushTo(to: BufferedOutput | "drop"): void {
    this.#to = to;
    try {
      this.#out?.flush();
    } finally {
      this.#to = null;
    }
  }
}
