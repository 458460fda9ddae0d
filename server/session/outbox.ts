/**
 * The session's output: messages are gathered in one large buffer and handed to the channel in
 * order, one write at a time. Writers await `flush()`, which resolves when the channel accepted
 * the bytes: a client that reads slowly slows its own stream and never grows server memory.
 *
 * Every piece is tagged with the SESSION generation that wrote it (docs/protocol.md#session; 0:
 * none, e.g. a legacy command or an ack). Once a newer generation started, the pieces of older ones
 * still waiting for the channel are dropped: nothing of theirs follows the newer one's ack. A piece
 * may end inside a message (the buffer filled up, a raw block's bytes skip it): then the start of
 * the next piece that finishes that message is sent even when the rest is dropped, so the client
 * never sees a torn message (MessageBounds).
 */
import { BufferedOutput } from "../../core/output.ts";
import { ClosedError } from "../../core/errors.ts";
import { concatBytes } from "../../core/bytes.ts";
import { SpareBuffers } from "../../core/spare_buffers.ts";

export interface ByteChannel {
  /**
   * Resolves when the channel can take more (ssh2: after "drain" when write returned false).
   * `taken`, if the channel supports it, is called once it keeps no reference to `bytes` (never,
   * when it failed first).
   */
  write(bytes: Uint8Array, taken?: () => void): Promise<void>;
}

/**
 * Pieces from this size up to SPARE_MAX are copied into spare buffers rather than fresh memory (a
 * raw block of a whole 1 MiB read with its header is just over 1 MiB).
 */
const SPARE_MIN = 16 * 1024;
const SPARE_MAX = 2 << 20;
/**
 * Buffers the channels gave back, for the next pieces of any session. A `.zst` stream has about
 * 10 MB of pieces out at once (a batch's blocks beside what the channel holds, MAX_BACKLOG), and
 * every piece beyond what the spares hold is fresh memory.
 */
const spares = new SpareBuffers(16 << 20);

interface Piece {
  readonly bytes: Uint8Array;
  /** Gives its buffer back once nothing refers to it (null: fresh memory, left to the GC). */
  readonly release: (() => void) | null;
}

const EMPTY = new Uint8Array(0);

/** `bytes` (a view of the start of `buffer`) as a piece whose release makes `buffer` spare. */
function spared(buffer: Uint8Array<ArrayBuffer>, bytes: Uint8Array): Piece {
  let released = false;
  return {
    bytes,
    release: () => {
      if (!released) spares.give(buffer);
      released = true;
    },
  };
}

/** A copy of `head` and `body`, one after the other, that the channel may keep until sent. */
function pieceOf(body: Uint8Array, head: Uint8Array = EMPTY): Piece {
  const length = head.length + body.length;
  if (length < SPARE_MIN || length > SPARE_MAX) {
    return { bytes: concatBytes(head, body), release: null };
  }
  const buffer = spares.take(length);
  buffer.set(head);
  buffer.set(body, head.length);
  return spared(buffer, buffer.subarray(0, length));
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
  /** Message boundaries in the stream, tracked once a generation wrote (null before). */
  #bounds: MessageBounds | null = null;
  /** The channel took a piece that ends inside a message. */
  #sentTorn = false;

  /** `signal`: the session's end; pending and later flushes then fail at once. */
  constructor(
    private readonly channel: ByteChannel,
    private readonly signal: AbortSignal = new AbortController().signal,
    bufferSize = 256 * 1024,
  ) {
    // The channel keeps written buffers until sent, so each write gets its own copy.
    // A large piece takes what was buffered before it (a raw block's header) along: one write and
    // one SSH packet fewer for each. A well-filled buffer goes to the channel as it is, and the
    // output goes on in a spare one (no copy).
    const bufferInSpares = bufferSize <= SPARE_MAX;
    this.out = new BufferedOutput(
      (bytes) => this.#enqueue(pieceOf(bytes)),
      bufferSize,
      {
        joined: (head, body) => this.#enqueue(pieceOf(body, head)),
        handOff: (buffer, length) => {
          if (!bufferInSpares || length < SPARE_MIN || buffer.length !== bufferSize) return null;
          this.#enqueue(spared(buffer, buffer.subarray(0, length)));
          return spares.take(bufferSize, bufferSize);
        },
      },
    );
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

  #enqueue(piece: Piece): void {
    const { bytes } = piece;
    const release = piece.release ?? undefined;
    if (this.signal.aborted) return; // nobody will read it
    if (this.#tag !== 0) this.#bounds ??= new MessageBounds();
    // Where the message a piece before this one started ends in it (-1: beyond it), and whether
    // this piece ends inside a message.
    const finish = this.#bounds?.feed(bytes) ?? 0;
    const torn = this.#bounds?.inMessage ?? false;
    // A stale piece that starts with a message of its own finishes nothing: it is not sent.
    if (this.isStale(this.#tag) && finish === 0) return release?.();
    if (this.#queued === 0) this.#progressAt = Date.now();
    this.#queued += bytes.length;
    const tag = this.#tag;
    this.#chain = this.#chain.then(() => {
      if (this.#failed) return undefined;
      if (!this.isStale(tag)) {
        this.#sentTorn = torn;
        return this.channel.write(bytes, release);
      }
      if (!this.#sentTorn) return release?.();
      // Dropped, but for the end of a message the channel took the start of.
      this.#sentTorn = finish < 0;
      return this.channel.write(finish < 0 ? bytes : bytes.subarray(0, finish), release);
    })
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

const DELIMITER = 0xac;
const ESCAPE = 0xab;
const BLOCK_MARK = 4;
const BLOCK_HEADER = 10;

/**
 * Where messages end in the session's byte stream: a message ends with 0xAC (docs/protocol.md:
 * messages), except a raw block (`AB 04`, 8 hex digits of size, the raw bytes, 0xAC), whose raw
 * bytes may hold any byte. Fed every piece in order.
 */
export class MessageBounds {
  /** Header bytes of the message in progress (while its first BLOCK_HEADER bytes come in). */
  #head: number[] = [];
  /** Raw bytes of a block still to come, then its delimiter. */
  #raw = -1;
  #text = false;

  /** Whether the stream fed so far ends inside a message. */
  get inMessage(): boolean {
    return this.#head.length > 0 || this.#raw >= 0 || this.#text;
  }

  /**
   * Feeds the next piece. Returns where the message in progress before it ends in it (the
   * length of its prefix that finishes that message; 0 when none was in progress; -1 when it
   * goes on beyond this piece).
   */
  feed(bytes: Uint8Array): number {
    let finish = this.inMessage ? -1 : 0;
    let i = 0;
    while (i < bytes.length) {
      if (this.#raw >= 0) {
        const take = Math.min(this.#raw, bytes.length - i);
        this.#raw -= take;
        i += take;
        if (i < bytes.length && this.#raw === 0) {
          i++; // the block's delimiter
          this.#raw = -1;
          if (finish < 0) finish = i;
        }
        continue;
      }
      if (this.#text) {
        const end = bytes.indexOf(DELIMITER, i);
        if (end < 0) return finish;
        i = end + 1;
        this.#text = false;
        if (finish < 0) finish = i;
        continue;
      }
      // A message starts, or its first bytes decide what it is.
      const head = this.#head;
      if (head.length === 0 && bytes[i] !== ESCAPE) {
        this.#text = true;
        continue;
      }
      head.push(bytes[i++]!);
      if (head.length === 2 && head[1] !== BLOCK_MARK) {
        this.#head = [];
        this.#text = true;
        if (head[1] === DELIMITER) i--; // an escaped message cannot end here; rescan as text
        continue;
      }
      if (head.length === BLOCK_HEADER) {
        this.#raw = parseInt(String.fromCharCode(...head.slice(2)), 16);
        this.#head = [];
      }
    }
    return finish;
  }
}
