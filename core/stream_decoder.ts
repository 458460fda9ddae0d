/**
 * The step that the native decoders behind decompress.ts share (libzstd through FFI, node:zlib's
 * handles): decode input into an output buffer, synchronously, and say how much of each was used.
 * Decoded bytes land in the caller's buffers, without a copy of their own.
 */

export interface StreamDecoder {
  /** Input used and output produced by the last decode(). */
  used: number;
  produced: number;
  /**
   * Decodes `input[from..]` into `out[at..]`, as far as the input or the room goes. Null, or the
   * reason the data is damaged; output decoded before the damage is counted in `produced`.
   */
  decode(input: Uint8Array, from: number, out: Uint8Array, at: number): string | null;
  /** Ready for a new stream: the next gzip member or zstd frame. */
  reset(): void;
  close(): void;
}

/** Output buffers, handed out one after another (each of 4 KiB or more: libzstd pins it). */
export type BufferSupply = () => Uint8Array;

export const OUTPUT_CHUNK = 256 * 1024;

/** The buffer being filled. */
export class Output {
  buf: Uint8Array;
  at = 0;

  constructor(readonly supply: BufferSupply) {
    this.buf = supply();
  }

  get full(): boolean {
    return this.at === this.buf.length;
  }

  /** The bytes decoded so far, to yield; the next ones go to a buffer from the supply. */
  take(): Uint8Array {
    const filled = this.buf.subarray(0, this.at);
    this.buf = this.supply();
    this.at = 0;
    return filled;
  }
}

/** A decoder's failure, with the input it used before it (the damage is there). */
export class DecodeFailure extends Error {
  /** The decoder's words, to go in parentheses: "data corruption detected". */
  readonly reason: string;
  constructor(reason: string, readonly used: number) {
    super(reason);
    this.reason = reason.charAt(0).toLowerCase() + reason.slice(1);
  }
}

/**
 * Decodes all of `input` (or up to where the decoder's stream ends), yielding each buffer as it
 * fills. Returns the input used: less than all of it once the stream ended. Output before a
 * failure stays in `out` (the caller yields it) when DecodeFailure is thrown.
 */
export function* decodeInto(
  decoder: StreamDecoder,
  input: Uint8Array,
  out: Output,
  onOutput?: (bytes: Uint8Array) => void,
): Generator<Uint8Array, number> {
  let from = 0;
  for (;;) {
    const failure = decoder.decode(input, from, out.buf, out.at);
    from += decoder.used;
    if (decoder.produced > 0) {
      onOutput?.(out.buf.subarray(out.at, out.at + decoder.produced));
      out.at += decoder.produced;
    }
    if (failure !== null) throw new DecodeFailure(failure, from);
    if (out.full) {
      yield out.take(); // and call again: the decoder may hold more
      continue;
    }
    // With room left, a decoder stops early only at the end of its stream.
    return from;
  }
}
