/**
 * The distinct-value sketch behind `count_distinct(x)` (docs/query-language.md#aggregations): a
 * HyperLogLog of 2^14 registers (standard error 1.04/√16384 ≈ 0.81%) over a 64-bit hash of the
 * value's UTF-8 bytes, estimated with Ertl's improved estimator (no bias tables). Small sets are
 * kept sparse at a precision of 25 bits and counted by linear counting there, so they are exact
 * or nearly; past SPARSE_MAX entries the sketch turns dense. Sketches merge by register maximum.
 */
import { ByteReader, ByteWriter, decodeBase64 } from "./sketch_quantile.ts";

export const DISTINCT_PRECISION = 14;
const M = 1 << DISTINCT_PRECISION;
/** Hash bits after the dense index: its rank is 1 + their leading zeros, at most Q + 1. */
const Q = 64 - DISTINCT_PRECISION;
/** Sparse entries are `index25 << 6 | rank` (rank of the 39 bits after the 25-bit index). */
const SPARSE_PRECISION = 25;
const SPARSE_M = 2 ** SPARSE_PRECISION;
/** More sparse entries than this cost more than the dense registers: turn dense. */
const SPARSE_MAX = M / 8;

const VERSION = 1;
const DENSE = 0;
const SPARSE = 1;

const SEED_1 = 0x9747b28c;
const SEED_2 = 0x1b873593;

/** 64 hash bits of the last hashString/hashBytes: HASH[0] high, HASH[1] low. */
const HASH = new Int32Array(2);
let scratch = new Uint8Array(256);

/**
 * Two MurmurHash3 (x86, 32-bit) lanes of different seeds over `bytes[start, end)`, into HASH.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): void {
  let h1 = SEED_1;
  let h2 = SEED_2;
  const blocks = start + ((end - start) & ~3);
  let i = start;
  for (; i < blocks; i += 4) {
    const k = mixK(
      bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24),
    );
    h1 = Math.imul(rotl(h1 ^ k, 13), 5) + 0xe6546b64;
    h2 = Math.imul(rotl(h2 ^ k, 13), 5) + 0xe6546b64;
  }
  const left = end - i;
  if (left > 0) {
    let tail = bytes[i]!;
    if (left > 1) tail |= bytes[i + 1]! << 8;
    if (left > 2) tail |= bytes[i + 2]! << 16;
    tail = mixK(tail);
    h1 ^= tail;
    h2 ^= tail;
  }
  const n = end - start;
  HASH[0] = fmix(h1 ^ n);
  HASH[1] = fmix(h2 ^ n) ^ 0x5bd1e995;
}

function mixK(k: number): number {
  return Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** hashBytes of the text's UTF-8 bytes (a lone surrogate as U+FFFD, as TextEncoder). */
export function hashString(text: string): void {
  const n = text.length;
  if (scratch.length < n * 3) scratch = new Uint8Array(n * 3);
  const out = scratch;
  let at = 0;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
      continue;
    }
    if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[at++] = 0xf0 | (cp >> 18);
        out[at++] = 0x80 | ((cp >> 12) & 63);
        out[at++] = 0x80 | ((cp >> 6) & 63);
        out[at++] = 0x80 | (cp & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[at++] = 0xe0 | (c >> 12);
    out[at++] = 0x80 | ((c >> 6) & 63);
    out[at++] = 0x80 | (c & 63);
  }
  hashBytes(out, 0, at);
}

/** The dense rank of a sparse entry (see densify). */
function denseRank(entry: number): number {
  const low = (entry >>> 6) & 0x7ff; // the index25 bits after the dense index
  return low !== 0 ? Math.clz32(low) - 20 : 11 + (entry & 63);
}

export class DistinctSketch {
  /** The registers once dense, else null. */
  #dense: Uint8Array | null = null;
  /** Open addressing by index25: entries `index25 << 6 | rank`, 0 empty; at most half full. */
  #sparse = new Uint32Array(8);
  #entries = 0;

  /** Adds a text (its UTF-8 bytes). */
  addString(text: string): void {
    hashString(text);
    this.#addHash(HASH[0]!, HASH[1]!);
  }

  /** Adds the UTF-8 bytes `bytes[start, end)`. */
  addBytes(bytes: Uint8Array, start: number, end: number): void {
    hashBytes(bytes, start, end);
    this.#addHash(HASH[0]!, HASH[1]!);
  }

  #addHash(high: number, low: number): void {
    const dense = this.#dense;
    if (dense !== null) {
      const index = high >>> (32 - DISTINCT_PRECISION);
      const rest = high & ((1 << (32 - DISTINCT_PRECISION)) - 1);
      const rank = rest !== 0
        ? Math.clz32(rest) - DISTINCT_PRECISION + 1
        : 32 - DISTINCT_PRECISION + (low !== 0 ? Math.clz32(low) + 1 : 33);
      if (rank > dense[index]!) dense[index] = rank;
      return;
    }
    const index25 = high >>> (32 - SPARSE_PRECISION);
    const rest = high & ((1 << (32 - SPARSE_PRECISION)) - 1);
    const rank = rest !== 0
      ? Math.clz32(rest) - SPARSE_PRECISION + 1
      : 32 - SPARSE_PRECISION + (low !== 0 ? Math.clz32(low) + 1 : 33);
    this.#addSparse(((index25 << 6) | rank) >>> 0);
  }

  #addSparse(entry: number): void {
    const table = this.#sparse;
    const mask = table.length - 1;
    const key = entry >>> 6;
    for (let at = (Math.imul(key, 0x9e3779b1) >>> 0) & mask;; at = (at + 1) & mask) {
      const slot = table[at]!;
      if (slot === 0) {
        table[at] = entry;
        if (++this.#entries * 2 > table.length) this.#grow();
        return;
      }
      if (slot >>> 6 === key) {
        if ((entry & 63) > (slot & 63)) table[at] = entry;
        return;
      }
    }
  }

  #grow(): void {
    if (this.#entries > SPARSE_MAX) {
      this.#densify();
      return;
    }
    const old = this.#sparse;
    this.#sparse = new Uint32Array(old.length * 2);
    this.#entries = 0;
    for (const entry of old) if (entry !== 0) this.#addSparse(entry);
  }

  #densify(): void {
    const dense = new Uint8Array(M);
    for (const entry of this.#sparse) {
      if (entry === 0) continue;
      const index = entry >>> (6 + SPARSE_PRECISION - DISTINCT_PRECISION);
      const rank = denseRank(entry);
      if (rank > dense[index]!) dense[index] = rank;
    }
    this.#dense = dense;
    this.#sparse = new Uint32Array(0);
    this.#entries = 0;
  }

  merge(other: DistinctSketch): void {
    if (other.#dense === null) {
      for (const entry of other.#sparse) {
        if (entry === 0) continue;
        if (this.#dense === null) this.#addSparse(entry);
        else {
          const index = entry >>> (6 + SPARSE_PRECISION - DISTINCT_PRECISION);
          const rank = denseRank(entry);
          if (rank > this.#dense[index]!) this.#dense[index] = rank;
        }
      }
      return;
    }
    if (this.#dense === null) this.#densify();
    const ours = this.#dense!;
    const theirs = other.#dense;
    for (let i = 0; i < M; i++) if (theirs[i]! > ours[i]!) ours[i] = theirs[i]!;
  }

  /** The estimated number of distinct values added. */
  estimate(): number {
    const dense = this.#dense;
    if (dense === null) {
      // Linear counting over 2^25 buckets: exact but for (rare) 25-bit collisions.
      const n = this.#entries;
      return n === 0 ? 0 : SPARSE_M * Math.log(SPARSE_M / (SPARSE_M - n));
    }
    const histogram = new Float64Array(Q + 2);
    for (let i = 0; i < M; i++) histogram[dense[i]!]! += 1;
    return ertl(histogram);
  }

  /**
   * A compact binary form: version, kind; sparse: the count and the sorted entries as varint
   * deltas; dense: the registers, 6 bits each.
   */
  serialize(): Uint8Array {
    const out = new ByteWriter();
    out.varint(VERSION);
    const dense = this.#dense;
    if (dense === null) {
      out.varint(SPARSE);
      const entries = this.#sparse.filter((e) => e !== 0).sort();
      out.varint(entries.length);
      let previous = 0;
      for (const entry of entries) {
        out.varint(entry - previous);
        previous = entry;
      }
      return out.bytes();
    }
    out.varint(DENSE);
    for (let i = 0; i < M; i += 4) {
      const a = dense[i]!, b = dense[i + 1]!, c = dense[i + 2]!, d = dense[i + 3]!;
      out.byte((a << 2) | (b >> 4));
      out.byte(((b & 15) << 4) | (c >> 2));
      out.byte(((c & 3) << 6) | d);
    }
    return out.bytes();
  }

  /** The sketch of serialize's bytes; null for bytes of another version, or malformed. */
  static deserialize(bytes: Uint8Array): DistinctSketch | null {
    const input = new ByteReader(bytes);
    if (input.varint() !== VERSION) return null;
    const kind = input.varint();
    const sketch = new DistinctSketch();
    if (kind === SPARSE) {
      const n = input.varint();
      if (!input.ok || n > SPARSE_MAX) return null;
      let entry = 0;
      for (let i = 0; i < n; i++) {
        entry += input.varint();
        const rank = entry & 63;
        if (!input.ok || entry >= 2 ** 31 || rank === 0 || rank > 64 - SPARSE_PRECISION + 1) {
          return null;
        }
        sketch.#addSparse(entry);
      }
    } else if (kind === DENSE) {
      const dense = new Uint8Array(M);
      for (let i = 0; i < M; i += 4) {
        const x = input.byte(), y = input.byte(), z = input.byte();
        dense[i] = x >> 2;
        dense[i + 1] = ((x & 3) << 4) | (y >> 4);
        dense[i + 2] = ((y & 15) << 2) | (z >> 6);
        dense[i + 3] = z & 63;
      }
      for (let i = 0; i < M; i++) if (dense[i]! > Q + 1) return null;
      sketch.#dense = dense;
      sketch.#sparse = new Uint32Array(0);
    } else return null;
    return input.done ? sketch : null;
  }

  toBase64(): string {
    return this.serialize().toBase64();
  }

  /** null when the text is no sketch of ours. */
  static fromBase64(text: string): DistinctSketch | null {
    return DistinctSketch.deserialize(decodeBase64(text) ?? new Uint8Array(0));
  }
}

/**
 * Ertl's improved raw estimator ("New cardinality estimation algorithms for HyperLogLog
 * sketches", 2017, algorithm 6) from the histogram of register values 0 … Q + 1.
 */
function ertl(histogram: Float64Array): number {
  let z = M * tau(1 - histogram[Q + 1]! / M);
  for (let k = Q; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
  z += M * sigma(histogram[0]! / M);
  return (M * M) / (2 * Math.LN2 * z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}
