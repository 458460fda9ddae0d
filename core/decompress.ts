/**
 * Streaming decompression: gzip and zstd through node:zlib, zstd through fzstd as a fallback.
 *
 * Damaged input (docs/decisions.md, "Damaged compressed files"): every byte decoded before the
 * damage is yielded, then a CorruptInputError names the file and the offset of the damage in the
 * compressed input. Nothing after the first damage is read, as `gzip -dc` and `zstd -dc` do;
 * zero bytes after the last gzip member are padding, as for gzip.
 *
 * To lose no decoded byte, each gzip member and each zstd frame gets a decoder of its own whose
 * output is taken from "data" events as it comes (a node:zlib stream that fails drops the output
 * of the write it fails in, and a failing paused stream drops what it buffered). gzip members
 * are cut with raw inflate, which stops at the end of the deflate data and says how much input
 * it used; the header and the CRC-32 and length of the trailer are checked here.
 */
import * as zlib from "node:zlib";
import { Decompress as FzstdDecompress } from "fzstd";
import { corruptData, type CorruptInputError } from "./compression.ts";
import { type FramePiece, ZstdFrameSplitter } from "./zstd_frames.ts";

const OUTPUT_CHUNK = 256 * 1024;
/** Decoded bytes that may wait for the consumer before no more input goes to the decoder. */
const QUEUE_LIMIT = 1 << 20;
/** Input per write to a gzip decoder: less when the data compresses well (see writeSize). */
const MIN_WRITE = 4 * 1024;
const MAX_WRITE = 256 * 1024;
const WRITE_OUTPUT_TARGET = 1 << 20;

/** True when this runtime's node:zlib decodes zstd natively (Deno ≥ 2.9); fzstd otherwise. */
export const nativeZstd = typeof (zlib as { createZstdDecompress?: unknown })
  .createZstdDecompress === "function";

type Decoder = zlib.InflateRaw;

const crc32 = (zlib as unknown as { crc32(data: Uint8Array, value?: number): number }).crc32;

/**
 * Decompresses a chunk stream. Input chunks are handed to zlib, which may keep them until it has
 * consumed them, so the input must be a `fresh` chunk stream (see chunks.ts).
 */
export function decompress(
  kind: "gzip" | "zstd",
  input: AsyncIterable<Uint8Array>,
  name: string,
  useNative = true,
): AsyncGenerator<Uint8Array> {
  if (kind === "zstd") return zstdStream(input, name, useNative && nativeZstd);
  return gunzip(input, name);
}

/** The compressed input with the offset of its next byte; bytes can be handed back. */
class Cursor {
  readonly #it: AsyncIterator<Uint8Array>;
  /** Handed-back bytes, the next one last. */
  readonly #back: Uint8Array[] = [];
  offset = 0;

  constructor(input: AsyncIterable<Uint8Array>) {
    this.#it = input[Symbol.asyncIterator]();
  }

  async next(): Promise<Uint8Array | null> {
    let chunk = this.#back.pop();
    if (chunk === undefined) {
      const r = await this.#it.next();
      if (r.done) return null;
      chunk = r.value;
    }
    this.offset += chunk.length;
    return chunk;
  }

  /** Hands back bytes, in input order, to be returned again by next(). */
  unread(parts: Uint8Array[]): void {
    for (let i = parts.length - 1; i >= 0; i--) {
      const part = parts[i]!;
      if (part.length === 0) continue;
      this.#back.push(part);
      this.offset -= part.length;
    }
  }

  async close(): Promise<void> {
    await this.#it.return?.();
  }
}

/** Byte-wise reading of a header or trailer from a cursor; `release()` hands back the rest. */
class ByteReader {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** The bytes read, while a header CRC is to be checked. */
  taken: number[] | null = null;
  constructor(readonly src: Cursor) {}

  async byte(): Promise<number | null> {
    while (this.#pos >= this.#buf.length) {
      const chunk = await this.src.next();
      if (chunk === null) return null;
      this.#buf = chunk;
      this.#pos = 0;
    }
    const b = this.#buf[this.#pos++]!;
    this.taken?.push(b);
    return b;
  }

  /** Skips zero bytes; false at the end of the input. */
  async skipZeros(): Promise<boolean> {
    for (;;) {
      while (this.#pos < this.#buf.length) if (this.#buf[this.#pos++] !== 0) return true;
      const chunk = await this.src.next();
      if (chunk === null) return false;
      this.#buf = chunk;
      this.#pos = 0;
    }
  }

  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.#pos < this.#buf.length) {
        const here = Math.min(n, this.#buf.length - this.#pos);
        this.taken?.push(...this.#buf.subarray(this.#pos, this.#pos + here));
        this.#pos += here;
        n -= here;
      } else if ((await this.byte()) === null) return false;
      else n--;
    }
    return true;
  }

  release(): void {
    this.src.unread([this.#buf.subarray(this.#pos)]);
    this.#buf = new Uint8Array(0);
    this.#pos = 0;
  }
}

/**
 * One node:zlib decoder with its output collected from "data" events as it comes. The stream is
 * never paused (a stream that fails while paused drops what it had buffered): the writer waits
 * instead while decoded bytes wait for the consumer.
 */
class Pump {
  readonly #z: Decoder;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #ending = false;
  /** Writes the decoder has not finished yet. */
  #inFlight = 0;
  /** The decoder's error, other than the end of its stream. */
  error: (Error & { code?: string }) | null = null;
  /**
   * The error came at the end of the input, with every write decoded: the decoder's data was cut
   * short (an error in the data itself shows while the write that carries it is decoded).
   */
  errorAtEnd = false;
  /** The decoder reached the end of its stream, or ran out of input. */
  ended = false;
  /** Input written, output produced. */
  written = 0;
  produced = 0;

  constructor(z: Decoder) {
    this.#z = z;
    z.on("data", (d: Uint8Array) => {
      this.#queue.push(d);
      this.#queued += d.length;
      this.produced += d.length;
      this.#notify();
    });
    z.on("error", (err: Error & { code?: string }) => {
      // Raw inflate with rejectGarbageAfterEnd: the deflate data ended before the input did.
      if (err.code === "ERR_TRAILING_JUNK_AFTER_STREAM_END") this.ended = true;
      else if (this.error === null) {
        this.error = err;
        this.errorAtEnd = this.#ending && this.#inFlight === 0;
      }
      this.#notify();
    });
    z.on("end", () => {
      this.ended = true;
      this.#notify();
    });
    z.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Nothing more will be decoded. */
  get done(): boolean {
    return this.ended || this.error !== null || this.#closed;
  }

  /** Input the decoder has used. */
  get consumed(): number {
    return this.#z.bytesWritten;
  }

  /**
   * Hands input to the decoder, after waiting while decoded bytes wait for the consumer or
   * `ahead` writes are not finished (writes queued behind the one being decoded keep the
   * decoder busy; how many may wait bounds what one round of them can decode to).
   */
  async write(piece: Uint8Array, ahead: number): Promise<void> {
    while (!this.tryWrite(piece, ahead) && !this.done) await this.#wait();
  }

  /** write() when it need not wait: false (and nothing written) when it would. */
  tryWrite(piece: Uint8Array, ahead: number): boolean {
    if (this.done || this.#queued >= QUEUE_LIMIT || this.#inFlight >= ahead) return false;
    this.written += piece.length;
    this.#inFlight++;
    this.#z.write(piece, () => {
      this.#inFlight--;
      this.#notify();
    });
    return true;
  }

  end(): void {
    if (this.done || this.#ending) return;
    this.#ending = true;
    this.#z.end();
  }

  destroy(): void {
    this.#z.destroy();
  }

  /** The next decoded bytes, or null once the decoder is done and all its output was taken. */
  async next(): Promise<Uint8Array | null> {
    for (;;) {
      let d = this.#queue.shift();
      if (d !== undefined) {
        // Outputs of consecutive writes (zstd blocks) that follow each other in one output
        // buffer go out as one piece, without a copy.
        for (let e = this.#queue[0]; e !== undefined; e = this.#queue[0]) {
          if (e.buffer !== d.buffer || e.byteOffset !== d.byteOffset + d.length) break;
          d = new Uint8Array(d.buffer, d.byteOffset, d.length + e.length);
          this.#queue.shift();
        }
        this.#queued -= d.length;
        this.#notify();
        return d;
      }
      if (this.done) return null;
      await this.#wait();
    }
  }

  #wait(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** Input for a gzip write: about WRITE_OUTPUT_TARGET bytes of output at the ratio so far. */
function writeSize(pump: Pump): number {
  if (pump.written === 0 || pump.produced === 0) return MIN_WRITE; // up to 4 MiB of output
  const ratio = Math.max(1, pump.produced / pump.written);
  return Math.max(MIN_WRITE, Math.min(MAX_WRITE, Math.floor(WRITE_OUTPUT_TARGET / ratio)));
}

function reasonOf(err: Error): string {
  const m = err.message.replace(/^Zstd decompress error: /, "");
  return m.charAt(0).toLowerCase() + m.slice(1);
}

/** gzip: member after member (RFC 1952), each through its own raw inflate. */
async function* gunzip(input: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const src = new Cursor(input);
  const fail = (offset: number, why: string) => corruptData(name, "gzip", offset, why);
  try {
    for (let first = true;; first = false) {
      const start = src.offset;
      if (!(await gzipHeader(src, fail, first))) return;
      const body = src.offset;
      const member = await smallMember(src) ?? (yield* streamMember(src, fail));
      if (member.out !== null && member.out.length > 0) yield member.out;
      // What the decoder did not use is the trailer and what follows.
      const end = body + member.consumed;
      const r = new ByteReader(src);
      const trailer: number[] = [];
      for (let i = 0; i < 8; i++) {
        const b = await r.byte();
        if (b === null) throw fail(src.offset, "unexpected end of file");
        trailer.push(b);
      }
      r.release();
      const want = (trailer[0]! | trailer[1]! << 8 | trailer[2]! << 16 | trailer[3]! << 24) >>> 0;
      const len = (trailer[4]! | trailer[5]! << 8 | trailer[6]! << 16 | trailer[7]! << 24) >>> 0;
      if (want !== member.crc >>> 0) throw fail(end, `crc error in the member at byte ${start}`);
      if (len !== member.size % 2 ** 32) {
        throw fail(end + 4, `length error in the member at byte ${start}`);
      }
    }
  } finally {
    await src.close();
  }
}

/** A member's deflate data decoded: input used, CRC-32 and size of the output. */
interface Member {
  /** Output not yielded yet (small members). */
  out: Uint8Array | null;
  consumed: number;
  crc: number;
  size: number;
}

/** Small members are decoded in one call: a stream costs ~0.2 ms, more than 64 KiB of data. */
const SMALL_MEMBER = 128 * 1024;
const SMALL_MEMBER_OUTPUT = 4 << 20;

/**
 * Decodes a member whose deflate data ends within the input at hand (bgzip writes 64 KiB
 * members, some loggers one per line). Null when it does not, or fails: the stream decodes it
 * again then, and loses nothing.
 */
async function smallMember(src: Cursor): Promise<Member | null> {
  const chunk = await src.next();
  if (chunk === null) return null;
  src.unread([chunk]);
  const input = chunk.subarray(0, SMALL_MEMBER);
  let result: { buffer: Uint8Array; engine: { bytesWritten: number } };
  try {
    result = zlib.inflateRawSync(input, {
      info: true,
      chunkSize: 64 * 1024,
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      maxOutputLength: SMALL_MEMBER_OUTPUT,
    } as zlib.ZlibOptions) as unknown as typeof result;
  } catch {
    return null; // damaged, or a member that decodes to much more
  }
  const consumed = result.engine.bytesWritten;
  // All input used: the deflate data may go on (bytes are left after its end: the trailer).
  if (consumed >= input.length) return null;
  await src.next();
  src.unread([chunk.subarray(consumed)]);
  const out = result.buffer;
  return { out, consumed, crc: crc32(out), size: out.length };
}

/** Decodes a member's deflate data as a stream, yielding what decodes before any damage. */
async function* streamMember(
  src: Cursor,
  fail: (offset: number, why: string) => CorruptInputError,
): AsyncGenerator<Uint8Array, Member> {
  const body = src.offset;
  // At the end of the input a sync flush, not Z_FINISH: a member cut short then gives all it
  // decodes (Z_FINISH fails and drops the output of that last call); the missing trailer reports
  // the truncation.
  const z = zlib.createInflateRaw({
    chunkSize: OUTPUT_CHUNK,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    rejectGarbageAfterEnd: true,
  } as zlib.ZlibOptions);
  const pump = new Pump(z);
  /** Chunks taken from the input for this member that the decoder may not have used. */
  const kept: Uint8Array[] = [];
  let keptStart = body;
  let inputDone = false;
  let feedError: unknown = null;
  const feed = (async () => {
    try {
      while (!pump.done) {
        const chunk = await src.next();
        if (chunk === null) {
          inputDone = true;
          pump.end();
          return;
        }
        while (kept.length > 0 && keptStart + kept[0]!.length <= body + pump.consumed) {
          keptStart += kept.shift()!.length;
        }
        kept.push(chunk);
        for (let at = 0; at < chunk.length && !pump.done;) {
          const size = writeSize(pump);
          const piece = chunk.subarray(at, at + size);
          if (!pump.tryWrite(piece, 4)) await pump.write(piece, 4);
          at += size;
        }
      }
    } catch (err) {
      feedError = err;
      pump.destroy();
    }
  })();
  let crc = 0;
  let size = 0;
  try {
    for (let out = await pump.next(); out !== null; out = await pump.next()) {
      crc = crc32(out, crc);
      size += out.length;
      yield out;
    }
  } finally {
    if (!pump.done) pump.destroy(); // the consumer stopped early
    await feed;
  }
  if (feedError !== null) throw feedError;
  if (pump.error !== null) {
    // (With Z_SYNC_FLUSH at the end, zlib does not complain about a cut member; just in case.)
    if (inputDone && pump.errorAtEnd) throw fail(src.offset, "unexpected end of file");
    throw fail(body + pump.consumed, reasonOf(pump.error));
  }
  // The deflate data ended: hand back what the decoder did not use.
  const end = body + pump.consumed;
  let from = keptStart;
  src.unread(kept.map((chunk) => {
    const rest = chunk.subarray(Math.max(0, Math.min(chunk.length, end - from)));
    from += chunk.length;
    return rest;
  }));
  return { out: null, consumed: pump.consumed, crc, size };
}

/**
 * Reads a gzip member header; false at the end of the input (or of its zero padding after the
 * last member, which gzip accepts too).
 */
async function gzipHeader(
  src: Cursor,
  fail: (offset: number, why: string) => CorruptInputError,
  first: boolean,
): Promise<boolean> {
  const r = new ByteReader(src);
  const start = src.offset;
  const eof = () => fail(src.offset, "unexpected end of file");
  try {
    const id1 = await r.byte();
    if (id1 === null) return false;
    if (id1 === 0 && !first) {
      if (!(await r.skipZeros())) return false;
      throw fail(start, "trailing garbage");
    }
    const id2 = await r.byte();
    if (id1 !== 0x1f || (id2 !== null && id2 !== 0x8b)) {
      throw fail(start, first ? "not in gzip format" : "trailing garbage");
    }
    const method = await r.byte();
    const flags = await r.byte();
    if (method === null || flags === null) throw eof();
    if (method !== 8) throw fail(start + 2, "unknown compression method");
    if ((flags & 0xe0) !== 0) throw fail(start + 3, "reserved header flags");
    if (flags & 0x02) r.taken = [id1, id2!, method, flags];
    if (!(await r.skip(6))) throw eof(); // mtime, extra flags, OS
    if (flags & 0x04) {
      const lo = await r.byte();
      const hi = await r.byte();
      if (lo === null || hi === null || !(await r.skip(lo | (hi << 8)))) throw eof();
    }
    for (const flag of [0x08, 0x10]) { // file name, comment: zero-terminated
      if ((flags & flag) === 0) continue;
      for (let b = await r.byte(); b !== 0; b = await r.byte()) if (b === null) throw eof();
    }
    if (r.taken !== null) { // the low 16 bits of the header's CRC-32, checked as gzip does
      const taken = Uint8Array.from(r.taken);
      r.taken = null;
      const lo = await r.byte();
      const hi = await r.byte();
      if (lo === null || hi === null) throw eof();
      if ((lo | (hi << 8)) !== (crc32(taken) & 0xffff)) {
        throw fail(start + taken.length, "header checksum mismatch");
      }
    }
    return true;
  } finally {
    r.release();
  }
}

/** zstd: the frame walker cuts frames and blocks; native decoding or fzstd does the rest. */
async function* zstdStream(
  input: AsyncIterable<Uint8Array>,
  name: string,
  native: boolean,
): AsyncGenerator<Uint8Array> {
  const splitter = new ZstdFrameSplitter(name);
  const chunks = input[Symbol.asyncIterator]();
  const pending: FramePiece[] = [];
  let inputDone = false;
  /** Makes sure a piece is waiting, unless the input is exhausted or damaged. */
  const fill = async (): Promise<boolean> => {
    for (;;) {
      if (pending.length > 0) return true;
      if (inputDone || splitter.damage !== null) return false;
      const r = await chunks.next();
      if (r.done) {
        inputDone = true;
        splitter.finish();
      } else {
        for (const piece of splitter.push(r.value)) if (!piece.skip) pending.push(piece);
      }
    }
  };
  try {
    if (native) {
      while (await fill()) yield* nativeFrame(pending, fill, name);
    } else yield* fzstdFrames(pending, fill, name, () => splitter.damage === null);
    const damage = splitter.damage;
    if (damage !== null) throw damage;
  } finally {
    await chunks.return?.();
  }
}

/** One frame through a native decoder, one block per write. */
async function* nativeFrame(
  pending: FramePiece[],
  fill: () => Promise<boolean>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const z = (zlib as unknown as { createZstdDecompress(o: object): Decoder })
    .createZstdDecompress({ chunkSize: OUTPUT_CHUNK });
  const pump = new Pump(z);
  const start = pending[0]!.offset;
  /** Pieces written that the decoder may not have used up: the one it fails in names the block. */
  const inFlight: FramePiece[] = [];
  const settle = () => {
    const used = start + pump.consumed;
    while (inFlight.length > 0 && inFlight[0]!.offset + inFlight[0]!.bytes.length <= used) {
      inFlight.shift();
    }
  };
  let feedError: unknown = null;
  let whole = false;
  const feed = (async () => {
    try {
      while (!pump.done && (pending.length > 0 || await fill())) {
        const piece = pending.shift()!;
        settle();
        inFlight.push(piece);
        // A block decodes to at most 128 KiB; a few queued keep the decoder busy (it decodes on
        // this thread: many queued starve the consumer, measurably slowing dcat).
        const { bytes } = piece;
        if (bytes.length > 0 && !pump.tryWrite(bytes, 8)) await pump.write(bytes, 8);
        if (piece.frameEnd) {
          whole = true;
          break;
        }
      }
      // The frame's end, or the end of what is left of it before the damage the walker found
      // (the caller reports that damage once the frame's output is out).
      pump.end();
    } catch (err) {
      feedError = err;
      pump.destroy();
    }
  })();
  try {
    for (let out = await pump.next(); out !== null; out = await pump.next()) yield out;
  } finally {
    if (!pump.done) pump.destroy();
    await feed;
  }
  if (feedError !== null) throw feedError;
  // A frame cut short may make the decoder complain at its end: the walker's damage says more.
  if (pump.error !== null && (whole || !pump.errorAtEnd)) {
    settle();
    const at = inFlight[0]?.block ?? start + pump.consumed;
    throw corruptData(name, "zstd", at, reasonOf(pump.error));
  }
}

/** All frames through fzstd (pure JavaScript), one block per push. */
async function* fzstdFrames(
  pending: FramePiece[],
  fill: () => Promise<boolean>,
  name: string,
  intact: () => boolean,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new FzstdDecompress((chunk) => out.push(chunk));
  const push = (piece: FramePiece | null): CorruptInputError | null => {
    try {
      if (piece === null) d.push(new Uint8Array(0), true);
      else d.push(piece.bytes);
      return null;
    } catch (err) {
      const why = reasonOf(err instanceof Error ? err : new Error(String(err)));
      return corruptData(name, "zstd", piece?.block ?? 0, why);
    }
  };
  while (await fill()) {
    const failure = push(pending.shift()!);
    while (out.length > 0) yield out.shift()!; // what decoded before the damage, too
    if (failure !== null) throw failure;
  }
  const failure = intact() ? push(null) : null;
  while (out.length > 0) yield out.shift()!;
  if (failure !== null) throw failure;
}
