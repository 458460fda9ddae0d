/**
 * The quantile sketch behind `p50` … `p99` and `quantile(x, q)` (docs/query-language.md#aggregations):
 * a DDSketch. A value v > 0 falls into bucket ⌈log_γ v⌉ with γ = (1 + α) / (1 − α); a bucket is
 * read back as 2γ^i / (γ + 1), within α of every value in it, so any quantile is within α
 * (relative) of the exact one. Negative values have buckets of their own, zero a count. Sketches
 * merge by adding bucket counts: a quantile over many servers is as good as over one.
 */

/** The relative accuracy of every quantile. */
export const QUANTILE_ALPHA = 0.01;
/** Buckets per sign at most: past that the lowest are collapsed into one (γ^2048 ≈ 10^17.7). */
export const MAX_BUCKETS = 2048;

const GAMMA = (1 + QUANTILE_ALPHA) / (1 - QUANTILE_ALPHA);
const MULTIPLIER = 1 / Math.log(GAMMA);
/** Smaller magnitudes count as zero (the smallest normal double: its log is still exact). */
const MIN_INDEXABLE = 2.2250738585072014e-308;
/** The serialized form's version and α in 1/10000 (a peer of another α is refused). */
const VERSION = 1;
const ALPHA_CODE = Math.round(QUANTILE_ALPHA * 10000);

function indexOf(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) * MULTIPLIER);
}

function valueOf(index: number): number {
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/**
 * Counts of consecutive bucket indices lo … hi, at most MAX_BUCKETS of them: a count below
 * hi − MAX_BUCKETS + 1 goes to the lowest bucket. The array has room around them, so a stream of
 * new highs (or lows) reallocates rarely.
 */
class Buckets {
  counts = new Float64Array(0);
  /** The index of counts[0]. */
  offset = 0;
  /** The lowest and highest index with a count; lo > hi when empty. */
  lo = 1;
  hi = 0;
  total = 0;

  add(index: number, count: number): void {
    if (index >= this.lo && index <= this.hi) {
      this.counts[index - this.offset]! += count;
      this.total += count;
      return;
    }
    const empty = this.lo > this.hi;
    let lo = empty ? index : Math.min(this.lo, index);
    const hi = empty ? index : Math.max(this.hi, index);
    let folded = 0;
    if (hi - lo + 1 > MAX_BUCKETS) {
      lo = hi - MAX_BUCKETS + 1;
      for (let i = this.lo; i < lo && i <= this.hi; i++) {
        folded += this.counts[i - this.offset]!;
        this.counts[i - this.offset] = 0;
      }
      if (index < lo) index = lo;
    }
    if (lo < this.offset || hi >= this.offset + this.counts.length) this.#move(lo, hi);
    this.lo = lo;
    this.hi = hi;
    this.counts[index - this.offset]! += count;
    if (folded !== 0) this.counts[lo - this.offset]! += folded;
    this.total += count;
  }

  /** A new array for lo … hi, the counts kept, room on both sides. */
  #move(lo: number, hi: number): void {
    const span = hi - lo + 1;
    const size = Math.min(2 * MAX_BUCKETS, Math.max(16, span * 2));
    const offset = lo - ((size - span) >> 1);
    const counts = new Float64Array(size);
    for (let i = Math.max(this.lo, lo); i <= this.hi; i++) {
      counts[i - offset] = this.counts[i - this.offset]!;
    }
    this.counts = counts;
    this.offset = offset;
  }

  merge(other: Buckets): void {
    if (other.total === 0) return;
    // Make room for the other's range first (an empty bucket at each end), then add in place.
    this.add(other.lo, 0);
    this.add(other.hi, 0);
    const lo = this.lo;
    const counts = this.counts;
    for (let i = other.lo; i <= other.hi; i++) {
      counts[(i < lo ? lo : i) - this.offset]! += other.counts[i - other.offset]!;
    }
    this.total += other.total;
  }
}

export class QuantileSketch {
  readonly #positive = new Buckets();
  readonly #negative = new Buckets();
  #zero = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Values added (and merged). */
  get count(): number {
    return this.#positive.total + this.#negative.total + this.#zero;
  }

  /** Buckets in use (both signs): at most 2 × MAX_BUCKETS. */
  get buckets(): number {
    const span = (b: Buckets) => b.total === 0 ? 0 : b.hi - b.lo + 1;
    return span(this.#positive) + span(this.#negative);
  }

  /** Adds a value; NaN and ±Infinity have no bucket and are ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    if (value > MIN_INDEXABLE) this.#positive.add(indexOf(value), 1);
    else if (value < -MIN_INDEXABLE) this.#negative.add(indexOf(-value), 1);
    else this.#zero++;
  }

  merge(other: QuantileSketch): void {
    this.#positive.merge(other.#positive);
    this.#negative.merge(other.#negative);
    this.#zero += other.#zero;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /**
   * The q-quantile (0 ≤ q ≤ 1): within α of the value of rank ⌊q·(count − 1)⌋ (from 0) of the
   * sorted values, never beyond the smallest or largest one; 0 and 1 are exactly those. NaN when
   * empty.
   */
  quantile(q: number): number {
    const count = this.count;
    if (count === 0) return NaN;
    if (q >= 1) return this.#max;
    if (q <= 0) return this.#min;
    const rank = q * (count - 1);
    const value = this.#valueAtRank(rank);
    return Math.min(this.#max, Math.max(this.#min, value));
  }

  #valueAtRank(rank: number): number {
    const negative = this.#negative;
    let seen = 0;
    // Negative values, from the largest magnitude (the highest index) down.
    for (let i = negative.hi; i >= negative.lo; i--) {
      seen += negative.counts[i - negative.offset]!;
      if (seen > rank) return -valueOf(i);
    }
    seen += this.#zero;
    if (seen > rank) return 0;
    const positive = this.#positive;
    for (let i = positive.lo; i <= positive.hi; i++) {
      seen += positive.counts[i - positive.offset]!;
      if (seen > rank) return valueOf(i);
    }
    return this.#max;
  }

  /** A compact binary form: version, α, min, max, zero count, then each sign's buckets. */
  serialize(): Uint8Array {
    const out = new ByteWriter();
    out.varint(VERSION);
    out.varint(ALPHA_CODE);
    out.float(this.#min);
    out.float(this.#max);
    out.varint(this.#zero);
    for (const buckets of [this.#positive, this.#negative]) {
      const n = buckets.total === 0 ? 0 : buckets.hi - buckets.lo + 1;
      out.varint(n);
      if (n === 0) continue;
      out.varint(zigzag(buckets.lo));
      for (let i = buckets.lo; i <= buckets.hi; i++) {
        out.varint(buckets.counts[i - buckets.offset]!);
      }
    }
    return out.bytes();
  }

  /** The sketch of serialize's bytes; null for bytes of another version, α, or malformed. */
  static deserialize(bytes: Uint8Array): QuantileSketch | null {
    const input = new ByteReader(bytes);
    if (input.varint() !== VERSION || input.varint() !== ALPHA_CODE) return null;
    const sketch = new QuantileSketch();
    const min = input.float();
    const max = input.float();
    sketch.#zero = input.varint();
    for (const buckets of [sketch.#positive, sketch.#negative]) {
      const n = input.varint();
      if (!input.ok || n > MAX_BUCKETS) return null;
      if (n === 0) continue;
      const lo = unzigzag(input.varint());
      for (let i = 0; i < n; i++) {
        const count = input.varint();
        if (!input.ok) return null;
        if (count > 0) buckets.add(lo + i, count);
      }
    }
    if (!input.done || (sketch.count > 0 && !(min <= max))) return null;
    sketch.#min = min;
    sketch.#max = max;
    return sketch;
  }

  toBase64(): string {
    return this.serialize().toBase64();
  }

  /** null when the text is no sketch of ours. */
  static fromBase64(text: string): QuantileSketch | null {
    return QuantileSketch.deserialize(decodeBase64(text) ?? new Uint8Array(0));
  }
}

/** Uint8Array.fromBase64, null for text that is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    return null;
  }
}

function zigzag(n: number): number {
  return n < 0 ? -2 * n - 1 : 2 * n;
}

function unzigzag(n: number): number {
  return n % 2 === 1 ? -(n + 1) / 2 : n / 2;
}

/** Little-endian varints of non-negative integers up to 2^53, and raw doubles. */
export class ByteWriter {
  #buffer = new Uint8Array(64);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    const buffer = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + n));
    buffer.set(this.#buffer);
    this.#buffer = buffer;
    this.#view = new DataView(buffer.buffer);
  }

  varint(value: number): void {
    this.#room(8);
    while (value >= 128) {
      this.#buffer[this.#length++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.#buffer[this.#length++] = value;
  }

  float(value: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
  }

  byte(value: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = value;
  }

  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** Reads what ByteWriter wrote; a read past the end yields NaN/0 and leaves `ok` false. */
export class ByteReader {
  #at = 0;
  ok = true;
  readonly #view: DataView;

  constructor(readonly input: Uint8Array) {
    this.#view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Whether everything was read, exactly. */
  get done(): boolean {
    return this.ok && this.#at === this.input.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 8; shift++) {
      const b = this.input[this.#at++];
      if (b === undefined) break;
      value += (b & 127) * scale;
      if (b < 128) return value;
      scale *= 128;
    }
    this.ok = false;
    return NaN;
  }

  float(): number {
    if (this.#at + 8 > this.input.length) {
      this.ok = false;
      this.#at = this.input.length;
      return NaN;
    }
    const value = this.#view.getFloat64(this.#at, true);
    this.#at += 8;
    return value;
  }

  byte(): number {
    const b = this.input[this.#at++];
    if (b === undefined) this.ok = false;
    return b ?? NaN;
  }
}
