/** Batched output: lines are gathered into one large buffer and written with few syscalls. */
import { delay } from "./delay.ts";
import { ClosedError, OutputError } from "./errors.ts";
import { reason } from "./source_error.ts";

export type SyncSink = (bytes: Uint8Array) => void;

/** Raised when the reader of our output went away (e.g. `dcat … | head`). */
export class OutputClosedError extends ClosedError {
  override name = "OutputClosedError";
}

const encoder = new TextEncoder();

/**
 * Takes a large piece together with the bytes buffered before it (`head`, maybe empty; both valid
 * only during the call), where a sink copies anyway: one piece instead of a small one before it.
 */
export type JoinedSink = (head: Uint8Array, body: Uint8Array) => void;

/** Ways for a sink that keeps what it is given to take it without a copy. */
export interface OwningSinks {
  readonly joined?: JoinedSink;
  /**
   * Takes the buffer itself, its first `length` bytes written out, and gives an empty one of the
   * same size to go on in; null: not this one (the sink gets a view, as usual).
   */
  readonly handOff?: (
    buffer: Uint8Array<ArrayBuffer>,
    length: number,
  ) => Uint8Array<ArrayBuffer> | null;
  /** Writes full buffers on another thread (core/write_behind.ts). */
  readonly behind?: BehindSink;
}

/** What writes a piece on another thread while this one goes on (core/write_behind.ts). */
export interface BehindSink {
  /**
   * Settles the write under way, then begins writing `piece`, which must not change until the
   * next `settle` returned; false: it did not begin (the piece is written as usual).
   */
  start(piece: Uint8Array): boolean;
  /** Waits for the write under way to end (finishing a partial one); raises its error. */
  settle(): void;
}

export class BufferedOutput {
  #buf: Uint8Array<ArrayBuffer>;
  #len = 0;
  private readonly joined: JoinedSink | undefined;
  private readonly handOff: OwningSinks["handOff"];
  private readonly behindSink: BehindSink | undefined;
  /** The buffer being written behind (see OwningSinks.behind), to fill once that ended. */
  #spare: Uint8Array<ArrayBuffer> | null = null;
  /** `sink`, after the write under way behind (if any) ended. */
  readonly #sink: SyncSink;

  constructor(readonly sink: SyncSink, size = 1 << 20, owning: OwningSinks = {}) {
    this.#buf = new Uint8Array(Math.max(size, 1));
    this.joined = owning.joined;
    this.handOff = owning.handOff;
    const behind = this.behindSink = owning.behind;
    this.#sink = behind === undefined ? sink : (bytes) => {
      behind.settle();
      sink(bytes);
    };
  }

  bytes(b: Uint8Array): void {
    if (b.length > this.#buf.length - this.#len) {
      if (b.length >= this.#buf.length >> 1 && this.joined !== undefined) {
        const head = this.#buf.subarray(0, this.#len);
        this.#len = 0;
        this.joined(head, b);
        return;
      }
      if (b.length >= this.#buf.length >> 1) {
        this.#writeHere();
        this.#sink(b);
        return;
      }
      this.#writeBuffered();
    }
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /**
   * Writes `b` past the buffer, after what it holds (one write instead of a copy into it): for a
   * piece put together already. Valid only during the call, as for `bytes`.
   */
  unbuffered(b: Uint8Array): void {
    if (b.length === 0) return;
    if (this.joined !== undefined) {
      const head = this.#buf.subarray(0, this.#len);
      this.#len = 0;
      this.joined(head, b);
      return;
    }
    this.#writeHere();
    this.#sink(b);
  }

  /** `bytes(b.subarray(start, end))` without the view, for short ranges (a line's fields). */
  range(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > 32 || n > this.#buf.length - this.#len) {
      this.bytes(b.subarray(start, end));
      return;
    }
    const buf = this.#buf;
    let at = this.#len;
    for (let i = start; i < end; i++) buf[at++] = b[i]!;
    this.#len = at;
  }

  string(s: string): void {
    // encodeInto writes at most 3 bytes per UTF-16 unit.
    if (s.length * 3 > this.#buf.length - this.#len) {
      if (s.length * 3 > this.#buf.length) {
        this.#writeHere();
        this.#sink(encoder.encode(s));
        return;
      }
      this.#writeBuffered();
    }
    this.#len += encoder.encodeInto(s, this.#buf.subarray(this.#len)).written;
  }

  /**
   * Writes `src` as `fill(src, buf, at)` transforms it into `buf` from `at` (at most `max` bytes;
   * `fill` returns where it stopped): written in place, without a buffer of its own.
   */
  filled(
    src: Uint8Array,
    max: number,
    fill: (src: Uint8Array, buf: Uint8Array, at: number) => number,
  ): void {
    if (max > this.#buf.length - this.#len) {
      if (max > this.#buf.length) {
        this.#writeHere();
        const own = new Uint8Array(max);
        this.#sink(own.subarray(0, fill(src, own, 0)));
        return;
      }
      this.#writeBuffered();
    }
    this.#len = fill(src, this.#buf, this.#len);
  }

  /** Writes a non-negative integer in decimal. */
  decimal(n: number): void {
    if (this.#buf.length - this.#len < 20) this.#writeBuffered();
    const buf = this.#buf;
    if (n < 10) {
      buf[this.#len++] = 48 + n;
      return;
    }
    if (n > 0x7fffffff) {
      const digits = String(n);
      for (let i = 0; i < digits.length; i++) buf[this.#len++] = digits.charCodeAt(i);
      return;
    }
    // Digits from the last, in integer arithmetic: a line number per labelled line, where
    // String(n) cost a string each.
    let end = this.#len + 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) end++;
    this.#len = end;
    for (let m = n; m > 0; m = (m / 10) | 0) buf[--end] = 48 + m % 10;
  }

  byte(b: number): void {
    if (this.#len === this.#buf.length) this.#writeBuffered();
    this.#buf[this.#len++] = b;
  }

  get pending(): number {
    return this.#len;
  }

  /**
   * Writes out what is buffered, on another thread where the output can (OwningSinks.behind): for
   * a stream that goes on writing. `flush` where all that was written must be with the kernel.
   */
  send(): void {
    this.#writeBuffered();
  }

  /** Writes out what is buffered: then all that was written is with the kernel. */
  flush(): void {
    this.behindSink?.settle();
    this.#writeHere();
  }

  /** Writes out what is buffered, on another thread where the output can (OwningSinks.behind). */
  #writeBuffered(): void {
    if (this.#len === 0) return;
    const full = this.#buf;
    if (this.behindSink?.start(full.subarray(0, this.#len))) {
      // The write before, of the spare, ended in `start`: the spare is free.
      this.#len = 0;
      this.#buf = this.#spare ?? new Uint8Array(full.length);
      this.#spare = full;
      return;
    }
    this.#writeHere();
  }

  /** Writes out what is buffered on this thread (after the write under way behind, if any). */
  #writeHere(): void {
    if (this.#len === 0) return;
    const length = this.#len;
    this.#len = 0;
    const next = this.handOff?.(this.#buf, length) ?? null;
    if (next !== null) this.#buf = next;
    else this.#sink(this.#buf.subarray(0, length));
  }
}

/** A sink writing to a Deno file (stdout, stderr) completely, looping on partial writes. */
export function fileSink(file: { writeSync(p: Uint8Array): number }): SyncSink {
  return (bytes) => {
    let off = 0;
    try {
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    } catch (err) {
      if (err instanceof Deno.errors.BrokenPipe) throw new OutputClosedError("output closed");
      throw new OutputError(`write error: ${reason(err)}`);
    }
  };
}

/**
 * Writes a BufferedOutput out in large pieces while a stream pours in: at once when `threshold`
 * bytes are pending, otherwise on a zero-delay timer, so a quiet stream still prints promptly.
 * Per-chunk flushes of 32 KiB SSH packets cost a tenth of `dcat` over SSH in syscalls and reader
 * wake-ups. An error of a timer's write (a closed stdout) is raised by the next `poke`.
 */
export class CoalescingFlush {
  /** Cancels the pending zero-delay timer (Deno's web timers: Node's cost ~15 ms to load). */
  #timer: AbortController | undefined;
  #error: unknown = null;

  constructor(
    readonly out: BufferedOutput,
    readonly threshold = 256 * 1024,
    private readonly onTimerError: (err: unknown) => void = () => {},
  ) {}

  /** Called after new output was buffered. */
  poke(): void {
    if (this.#error !== null) throw this.#error;
    if (this.out.pending >= this.threshold) this.out.send();
    else if (this.#timer === undefined && this.out.pending > 0) {
      const timer = new AbortController();
      this.#timer = timer;
      void delay(0, timer.signal).then((fired) => {
        if (fired) this.#fire();
      });
    }
  }

  /** Stops the timer and writes what is left; raises an error a timer's write ran into. */
  close(): void {
    this.stop();
    if (this.#error !== null) throw this.#error;
    this.out.flush();
  }

  /** Stops the timer (when the run ends by an error of its own). */
  stop(): void {
    this.#timer?.abort();
    this.#timer = undefined;
  }

  #fire = (): void => {
    this.#timer = undefined;
    try {
      this.out.send();
    } catch (err) {
      this.#error = err;
      this.onTimerError(err);
    }
  };
}
