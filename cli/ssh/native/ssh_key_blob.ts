/**
 * The SSH wire encoding of keys and signatures (RFC 4251 section 5: uint32, string, mpint) and
 * the number and base64 conversions around it, for the native client's key handling. Reading is
 * strict and bounded: a length past the end, a negative or oversized mpint or leftover bytes
 * throw a BlobError, which the callers turn into a plain "unsupported" or false.
 */

import { concatBytes } from "../../../core/bytes.ts";

/** A malformed blob: what the reader expected and did not find. */
export class BlobError extends Error {
  override readonly name = "BlobError";
}

/** The longest mpint read: a 16384-bit number (OpenSSH's largest RSA modulus) and its sign byte. */
const MAX_MPINT_BYTES = 16384 / 8 + 1;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** Reads SSH wire values from `bytes` front to back; every read is checked against the rest. */
export class BlobReader {
  readonly #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  /** The next `n` bytes (a view, not a copy). */
  bytes(n: number, what = "bytes"): Uint8Array {
    if (n > this.remaining) throw new BlobError(`truncated ${what}`);
    const out = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  uint32(what = "uint32"): number {
    const b = this.bytes(4, what);
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** A string's bytes (a view, not a copy). */
  string(what = "string"): Uint8Array {
    const n = this.uint32(`${what} length`);
    return this.bytes(n, what);
  }

  /** A string that must be UTF-8 text. */
  text(what = "text"): string {
    try {
      return utf8.decode(this.string(what));
    } catch (e) {
      if (e instanceof BlobError) throw e;
      throw new BlobError(`${what} is not UTF-8`);
    }
  }

  /**
   * A non-negative mpint's magnitude, big-endian without leading zero bytes (empty for zero).
   * Leading zero bytes are tolerated, as OpenSSH does; a negative value is refused.
   */
  mpint(what = "mpint"): Uint8Array {
    const raw = this.string(what);
    if (raw.length > MAX_MPINT_BYTES) throw new BlobError(`${what} too large`);
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new BlobError(`${what} is negative`);
    return stripLeadingZeros(raw);
  }

  /** All the bytes not read yet. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Refuses leftover bytes. */
  end(what = "blob"): void {
    if (this.remaining !== 0) throw new BlobError(`${this.remaining} trailing bytes after ${what}`);
  }
}

export function uint32Bytes(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** An SSH string: uint32 length, then the bytes. */
export function sshString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes(uint32Bytes(bytes.length), bytes);
}

export function sshText(text: string): Uint8Array<ArrayBuffer> {
  return sshString(encoder.encode(text));
}

/** The mpint of a non-negative big-endian magnitude: no needless leading zeros, a 0x00 sign byte when the top bit is set. */
export function sshMpint(magnitude: Uint8Array): Uint8Array<ArrayBuffer> {
  const m = stripLeadingZeros(magnitude);
  if (m.length > 0 && (m[0]! & 0x80) !== 0) return sshString(concatBytes(new Uint8Array([0]), m));
  return sshString(m);
}

export function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** `magnitude` left-padded with zeros to `size` bytes; undefined when it does not fit. */
export function padStart(magnitude: Uint8Array, size: number): Uint8Array<ArrayBuffer> | undefined {
  const m = stripLeadingZeros(magnitude);
  if (m.length > size) return undefined;
  const out = new Uint8Array(size);
  out.set(m, size - m.length);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The number of significant bits of a big-endian magnitude. */
export function bitLength(magnitude: Uint8Array): number {
  const m = stripLeadingZeros(magnitude);
  if (m.length === 0) return 0;
  return (m.length - 1) * 8 + (32 - Math.clz32(m[0]!));
}

export function bigintOf(magnitude: Uint8Array): bigint {
  let hex = "";
  for (const b of magnitude) hex += b.toString(16).padStart(2, "0");
  return hex === "" ? 0n : BigInt(`0x${hex}`);
}

/** The big-endian magnitude of a non-negative bigint, without leading zeros (empty for 0). */
export function bytesOf(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError("negative bigint");
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Unpadded base64url, as JWK wants it. */
export function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Standard base64 with its padding, whitespace already removed; undefined when malformed. */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (
    text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
  ) {
    return undefined;
  }
  return Uint8Array.fromBase64(text);
}
