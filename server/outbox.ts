/**
 * The session's output: messages are gathered in one large buffer and handed to the channel in
 * order, one write at a time. Writers await `flush()`, which resolves when the channel accepted
 * the bytes: a client that reads slowly slows its own stream and never grows server memory.
 */
import { BufferedOutput } from "../core/output.ts";

export interface ByteChannel {
  /** Resolves when the channel can take more (ssh2: after "drain" when write returned false). */
  write(bytes: Uint8Array): Promise<void>;
}

export class Outbox {
  readonly out: BufferedOutput;
  #chain: Promise<void> = Promise.resolve();
  #failed: unknown = null;
  #queued = 0;

  constructor(private readonly channel: ByteChannel, bufferSize = 256 * 1024) {
    // The channel keeps written buffers until sent, so each write gets its own copy.
    this.out = new BufferedOutput((bytes) => this.#enqueue(bytes.slice()), bufferSize);
  }

  #enqueue(bytes: Uint8Array): void {
    this.#queued += bytes.length;
    this.#chain = this.#chain.then(() => this.#failed ? undefined : this.channel.write(bytes))
      .catch((err) => {
        this.#failed = err;
      })
      .finally(() => {
        this.#queued -= bytes.length;
      });
  }

  /**
   * Bytes not yet taken by the channel: buffered plus queued. Large pieces (a raw block's lines)
   * skip the buffer, so writers must check this, not `out.pending`, to keep memory bounded.
   */
  get backlog(): number {
    return this.out.pending + this.#queued;
  }

  /** Sends what is buffered and waits until the channel took everything written so far. */
  async flush(): Promise<void> {
    this.out.flush();
    await this.#chain;
    if (this.#failed) throw this.#failed;
  }
}
