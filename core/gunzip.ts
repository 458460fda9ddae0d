/**
 * gzip (RFC 1952), member after member: the header and the trailer's CRC-32 and length are read
 * here, the deflate data goes through one raw inflate (libz.ts or zlib_handle.ts), reset per member.
 * Raw inflate stops at the end of the deflate data and says how much input it used, and counts
 * the output it made before damaged data: nothing decoded is lost (docs/decisions.md, "Damaged
 * compressed files").
 */
import { corruptData, type CorruptInputError } from "./compression.ts";
import {
  type BufferSupply,
  DecodeFailure,
  decodeInto,
  Output,
  type StreamDecoder,
} from "./stream_decoder.ts";

/** What inflates the members' deflate data and checks it: libz's or node:zlib's (decompress.ts). */
export interface Inflater {
  readonly inflate: StreamDecoder;
  crc32(data: Uint8Array, crc?: number): number;
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

  /** Hands back the rest of the chunk next() returned last, to be returned again. */
  unread(part: Uint8Array): void {
    if (part.length === 0) return;
    this.#back.push(part);
    this.offset -= part.length;
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
    this.src.unread(this.#buf.subarray(this.#pos));
    this.#buf = new Uint8Array(0);
    this.#pos = 0;
  }
}

type Fail = (offset: number, why: string) => CorruptInputError;

/**
 * Decompresses a gzip chunk stream. Each yielded chunk is a buffer from `supply`, valid until the
 * next one is asked for when the supply reuses its buffer.
 */
export async function* gunzip(
  input: AsyncIterable<Uint8Array>,
  name: string,
  supply: BufferSupply,
  inflater: Inflater,
): AsyncGenerator<Uint8Array> {
  const src = new Cursor(input);
  const fail: Fail = (offset, why) => corruptData(name, "gzip", offset, why);
  const { inflate, crc32 } = inflater;
  const out = new Output(supply);
  try {
    for (let first = true;; first = false) {
      const start = src.offset;
      if (!(await gzipHeader(src, fail, first, crc32))) break;
      if (!first) inflate.reset();
      const member = yield* inflateMember(src, inflater, out, fail);
      // What the decoder did not use is the trailer and what follows.
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
      // A member whose check fails is printed (as gzip does), then nothing more.
      if (want !== member.crc >>> 0) {
        throw fail(member.end, `crc error in the member at byte ${start}`);
      }
      if (len !== member.size % 2 ** 32) {
        throw fail(member.end + 4, `length error in the member at byte ${start}`);
      }
    }
  } catch (err) {
    if (out.at > 0) yield out.take(); // what decoded before the damage, too
    throw err;
  } finally {
    inflate.close();
    await src.close();
  }
  if (out.at > 0) yield out.take();
}

/** A member's deflate data decoded: where it ended in the input, CRC-32 and size of the output. */
interface Member {
  end: number;
  crc: number;
  size: number;
}

/**
 * Inflates a member's deflate data into `out`, yielding each buffer that fills; what decodes
 * before damage is yielded before the error. The input after the deflate data is handed back.
 */
async function* inflateMember(
  src: Cursor,
  { inflate, crc32 }: Inflater,
  out: Output,
  fail: Fail,
): AsyncGenerator<Uint8Array, Member> {
  const member: Member = { end: src.offset, crc: 0, size: 0 };
  const count = (bytes: Uint8Array) => {
    member.crc = crc32(bytes, member.crc);
    member.size += bytes.length;
  };
  for (;;) {
    // Before waiting for input, what decoded goes out (a slow pipe still shows its lines).
    if (out.at > 0) yield out.take();
    const chunk = await src.next();
    if (chunk === null) throw fail(src.offset, "unexpected end of file");
    const base = src.offset - chunk.length;
    let used: number;
    try {
      used = yield* decodeInto(inflate, chunk, out, count);
    } catch (err) {
      throw err instanceof DecodeFailure ? fail(base + err.used, err.reason) : err;
    }
    member.end = base + used;
    if (used < chunk.length) {
      src.unread(chunk.subarray(used));
      return member;
    }
  }
}

/**
 * Reads a gzip member header; false at the end of the input (or of its zero padding after the
 * last member, which gzip accepts too).
 */
async function gzipHeader(
  src: Cursor,
  fail: Fail,
  first: boolean,
  crc32: Inflater["crc32"],
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
