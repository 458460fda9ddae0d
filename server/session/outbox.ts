/**
 * The session's output: messages are gathered in one large buffer and handed to the channel in
 * order, one write at a time. Writers await `flush()`, which resolves when the channel accepted
 * the bytes: a client that reads slowly slows its own stream and never grows server memory.
 *
 * Every piece is tagged with the SESSION generation that wrote it (docs/protocol.md#session; 0:
 * none, e.g. a legacy command or an ack). Once a newer generation started, the pieces of older ones
 * still waiting for the channel are dropped: nothing of theirs follows the newer one's ack.
 */
import { BufferedOutput } from "../../core/output.ts";
import { ClosedError } from "../../core/errors.ts";

export interface ByteChannel {
  /** Resolves when the channel can take more (ssh2: after "drain" when write returned false). */
  write(bytes: Uint8Array): Promise<void>;
}

/** The session ended (client gone, stalled or closed): nothing more is sent. */
export class SessionClosedError extends ClosedError {
  override name = "SessionClosedError";
}

export class Outbox {
  readonly out: BufferedOutput;
  #chain: Promise<void> = Promise.resolve();
  #failed: unknown = null;
  #queued = 0;
  /** When the channel last took bytes, or when output started waiting for it. */
  #progressAt = Date.now();
  readonly #closed: Promise<void>;
  /** The generation of what the buffer holds (and of what is written next). */
  #tag = 0;
  /** The newest generation: pieces of older ones (tagged > 0) are not sent. */
  #current = 0;

  /** `signal`: the session's end; pending and later flushes then fail at once. */
  constructor(
    private readonly channel: ByteChannel,
    private readonly signal: AbortSignal = new AbortController().signal,
    bufferSize = 256 * 1024,
  ) {
    // The channel keeps written buffers until sent, so each write gets its own copy.
    this.out = new BufferedOutput((bytes) => this.#enqueue(bytes.slice()), bufferSize);
    this.#closed = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** What is written from now on belongs to this generation (0: to none). */
  tag(generation: number): void {
    if (generation === this.#tag) return;
    this.out.flush(); // the buffer holds one generation's bytes only
    this.#tag = generation;
  }

  /** A newer generation starts: what older ones wrote and the channel did not take is dropped. */
  startGeneration(generation: number): void {
    this.out.flush();
    this.#current = generation;
  }

  /** Whether output of this generation is dropped: an older one than the newest. */
  isStale(generation: number): boolean {
    return generation !== 0 && generation < this.#current;
  }

  #enqueue(bytes: Uint8Array): void {
    if (this.signal.aborted) return; // nobody will read it
    if (this.isStale(this.#tag)) return;
    if (this.#queued === 0) this.#progressAt = Date.now();
    this.#queued += bytes.length;
    const tag = this.#tag;
    this.#chain = this.#chain.then(() =>
      this.#failed || this.isStale(tag) ? undefined : this.channel.write(bytes)
    )
      .catch((err) => {
        this.#failed = err;
      })
      .finally(() => {
        this.#queued -= bytes.length;
        this.#progressAt = Date.now();
      });
  }

  /** How long output has been waiting without the channel taking any (0 when none waits). */
  stalledMs(now = Date.now()): number {
    return this.#queued === 0 ? 0 : now - this.#progressAt;
  }

  /**
   * Bytes not yet taken by the channel: buffered plus queued. Large pieces (a raw block's lines)
   * skip the buffer, so writers must check this, not `out.pending`, to keep memory bounded.
   */
  get backlog(): number {
    return this.out.pending + this.#queued;
  }

  /**
   * Sends what is buffered and waits until the channel took everything written so far; fails
   * with SessionClosedError as soon as the session ended, however stuck the channel is.
   */
  async flush(): Promise<void> {
    if (this.signal.aborted) throw new SessionClosedError("the session ended");
    this.out.flush();
    await Promise.race([this.#chain, this.#closed]);
    if (this.signal.aborted) throw new SessionClosedError("the session ended");
    if (this.#failed) throw this.#failed;
  }
}
