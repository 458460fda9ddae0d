/**
 * Finds lines in raw bytes, decoding nothing: the lines that hold a literal (UTF-8), and line
 * counts. The work runs in a WebAssembly SIMD module (byte_search_wasm.ts) at near memory speed;
 * the bytes are copied into its memory first (~3 ms per 100 MB). See docs/performance.md#byte-search
 * for why this and not libc's memmem over FFI or V8's string search.
 *
 * `byteSearch()` is null where WebAssembly is not available (V8 started with `--jitless`…):
 * callers then search the decoded text, as before.
 */
import type { ByteSearchExports } from "./byte_search_wasm.ts";
import { BYTE_SEARCH_WASM_HEX } from "./byte_search_wasm_bytes.ts";

const PAGE = 65536;
/** Memory layout: the needle, the output pairs, the gathered regions, then the searched bytes. */
const NEEDLE_AT = 0;
const NEEDLE_MAX = 64 * 1024;
const OUT_AT = NEEDLE_AT + NEEDLE_MAX;
/** Pairs per `lines` call: [start, end) as two i32 after an 8-byte header. */
const OUT_PAIRS = 16 * 1024 - 1;
/** Where `gather` puts regions of a read buffer together, and how much at a time. */
const GATHER_AT = OUT_AT + 8 + OUT_PAIRS * 8;
const GATHER_MAX = 1024 * 1024;
const HAY_AT = GATHER_AT + GATHER_MAX;
/** Entries per `separators` call: the output pairs' room. */
const SEPARATORS_MAX = OUT_PAIRS * 2;
/** Read buffers in WebAssembly memories at most (others are plain), and spares kept. */
const MAX_READ_BUFFERS = 32;
const SPARE_READ_BUFFERS = 4;

/**
 * Lists where the bytes `b1`, `b2` and "\n" are in ranges of one batch: `list(at, end)`, then the
 * positions (indices into the batch, in order) are `entries[first, first + count)`, until the
 * next call.
 */
export class SeparatorLister {
  readonly entries: Int32Array;
  readonly first = (OUT_AT >> 2) + 2;
  count = 0;
  readonly #wasm: ByteSearchExports;
  readonly #base: number;
  readonly #b1: number;
  readonly #b2: number;

  constructor(area: Area, base: number, b1: number, b2: number) {
    this.entries = area.i32;
    this.#wasm = area.wasm;
    this.#base = base;
    this.#b1 = b1;
    this.#b2 = b2;
  }

  /**
   * Lists the positions of `[at, end)` (at a line start): whole lines' worth, as many as fit.
   * Returns where the listed lines end: `end` when all were, `at` when not even one line's fit.
   */
  list(at: number, end: number): number {
    const base = this.#base;
    const listed = this.#wasm.separators(
      base,
      base + at,
      base + end,
      OUT_AT,
      SEPARATORS_MAX,
      this.#b1,
      this.#b2,
    );
    this.count = this.entries[OUT_AT >> 2]!;
    return listed - base;
  }

  /** The number of "\n" in `[at, end)`; the listed entries stay as they are. */
  countLines(at: number, end: number): number {
    return end > at ? this.#wasm.countLines(this.#base + at, this.#base + end) : 0;
  }
}

/**
 * Finds needles in ranges of one batch, which must not change while it is used (nor this thread
 * search other bytes in between): one call into the module per range instead of a search for
 * a byte and a comparison at each place it occurs.
 */
export class NeedleFinder {
  readonly #area: Area;
  readonly #base: number;

  constructor(area: Area, base: number) {
    this.#area = area;
    this.#base = base;
  }

  /**
   * Where the first occurrence of the needle in `[from, to)` of the batch starts (a caseless one's
   * with A–Z read as a–z), or -1.
   */
  find(needle: Needle, from: number, to: number): number {
    if (to - from < needle.bytes.length) return -1;
    const area = this.#area;
    area.load(needle);
    const base = this.#base;
    const k = needle.bytes.length;
    const find = needle.caseless ? area.wasm.findCaseless : area.wasm.find;
    const hit = find(base + from, base + to, NEEDLE_AT, k, needle.p1, needle.p2);
    return hit < 0 ? -1 : hit - base;
  }
}

/**
 * A literal's UTF-8 bytes, with the two positions the SIMD filter compares (its rarest bytes).
 * A caseless needle's bytes are in lower case, and the bytes searched are read with A–Z as a–z.
 */
export class Needle {
  readonly p1: number;
  readonly p2: number;

  constructor(readonly bytes: Uint8Array, readonly caseless = false) {
    [this.p1, this.p2] = rarestTwo(bytes);
  }
}

const encoder = new TextEncoder();

/**
 * The needle for `literal` when a line holds its UTF-8 bytes exactly when the line's decoded text
 * holds it, else null: for a literal without U+FFFD (which invalid bytes decode to) or lone
 * surrogates, and without "\n" but maybe as its last character (a line's own "\n", as a matcher
 * with `withNewline` sees it). UTF-8 is self-synchronizing: the bytes of a valid literal start no
 * sequence in the middle of another, and invalid bytes before it decode to U+FFFD of their own.
 */
export function byteNeedle(literal: string): Needle | null {
  if (literal.length === 0 || literal.includes("\uFFFD") || !literal.isWellFormed()) return null;
  const nl = literal.indexOf("\n");
  if (nl >= 0 && nl !== literal.length - 1) return null;
  const bytes = encoder.encode(literal);
  return bytes.length > NEEDLE_MAX ? null : new Needle(bytes);
}

/**
 * The caseless needle for `literal` (see byteNeedle): a line holds its bytes with A–Z read as a–z
 * exactly when the line's text holds `literal` with each ASCII letter in either case. Only ASCII
 * letters fold: a caller must not let this stand for a regex that folds others (`(?i)k` matches
 * the Kelvin sign, `(?i)s` the long s).
 */
export function caselessNeedle(literal: string): Needle | null {
  const needle = byteNeedle(literal.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()));
  return needle === null ? null : new Needle(needle.bytes, true);
}

/** How options of `linesWith` are given. */
export interface LinesOptions {
  /** Stop after this many lines (0: no limit). */
  readonly maxLines?: number;
  /** Merge a line into the [start, end) pair before it when that ends where it starts. */
  readonly merge?: boolean;
  /**
   * Replace what `regions` holds instead of appending to it: its memory is reused (an array
   * emptied by `length = 0` lets go of it), so a caller that keeps one array makes no garbage.
   */
  readonly replace?: boolean;
}

/**
 * One instance of the module on a memory of its own: the needle and output areas, then the
 * searched bytes at HAY_AT. A read buffer's area never grows (that would detach the buffer the
 * reader holds); the shared area, which takes copies, does.
 */
class Area {
  readonly memory: WebAssembly.Memory;
  readonly wasm: ByteSearchExports;
  u8: Uint8Array;
  i32: Int32Array;
  needle: Needle | null = null;

  constructor(module: WebAssembly.Module, hayBytes: number) {
    this.memory = new WebAssembly.Memory({ initial: Math.ceil((HAY_AT + hayBytes) / PAGE) });
    const instance = new WebAssembly.Instance(module, { env: { mem: this.memory } });
    this.wasm = instance.exports as unknown as ByteSearchExports;
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Puts the needle at NEEDLE_AT, where the module's searches read it. */
  load(needle: Needle): void {
    if (this.needle === needle) return;
    this.u8.set(needle.bytes, NEEDLE_AT);
    this.needle = needle;
  }

  /** Makes room for `hayBytes` at HAY_AT (the views change when the memory grows). */
  reserve(hayBytes: number): void {
    const need = HAY_AT + hayBytes;
    const have = this.memory.buffer.byteLength;
    if (need <= have) return;
    this.memory.grow(Math.ceil((need - have) / PAGE));
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}

/**
 * The byte search of one thread. Bytes in a buffer from `readBuffer` are searched where they
 * are; any others are copied into a shared area first.
 */
export class ByteSearch {
  readonly #module: WebAssembly.Module;
  readonly #shared: Area;
  readonly #homes = new WeakMap<ArrayBufferLike, Area>();
  /** Areas of finished readers, for the next ones. */
  readonly #spare: Area[] = [];
  /** Read buffers' areas not yet collected. */
  #live = 0;
  readonly #finalizer = new FinalizationRegistry<undefined>(() => this.#live--);

  constructor(module: WebAssembly.Module) {
    this.#module = module;
    this.#shared = new Area(module, 1 << 20);
  }

  /**
   * A buffer of `size` bytes in a WebAssembly memory of its own (~200 KB more), which this
   * search reads in place: for a reader that reuses one buffer (chunks.ts), which hands it back
   * with `releaseBuffer` when done. Null when no such memory can be had: V8 reserves ~10 GB of
   * address space for each, ~100 at a time.
   */
  readBuffer(size: number): Uint8Array | null {
    let area = this.#spare.find((a) => a.memory.buffer.byteLength >= HAY_AT + size);
    if (area !== undefined) this.#spare.splice(this.#spare.indexOf(area), 1);
    else {
      if (this.#live >= MAX_READ_BUFFERS) return null;
      try {
        area = new Area(this.#module, size);
      } catch {
        return null; // RangeError: out of address space
      }
      this.#homes.set(area.memory.buffer, area);
      this.#live++;
      this.#finalizer.register(area.memory, undefined);
    }
    return area.u8.subarray(HAY_AT, HAY_AT + size);
  }

  /** Whether `buffer` is one of this search's read buffers. */
  owns(buffer: Uint8Array): boolean {
    return this.#homes.has(buffer.buffer);
  }

  /** Takes back a buffer from `readBuffer` (or any other: then nothing) for the next reader. */
  releaseBuffer(buffer: Uint8Array): void {
    const area = this.#homes.get(buffer.buffer);
    if (area !== undefined && this.#spare.length < SPARE_READ_BUFFERS) this.#spare.push(area);
  }

  /**
   * The lines of `bytes` (whole lines, "\n"-separated) that hold the needle: appends their
   * [start, end) byte offsets to `regions` (end after the line's "\n"), merging adjacent lines
   * with `merge`; returns how many lines it found.
   */
  linesWith(
    bytes: Uint8Array,
    needle: Needle,
    regions: number[],
    options: LinesOptions = {},
  ): number {
    if (bytes.length < needle.bytes.length) {
      if (options.replace) regions.length = 0;
      return 0;
    }
    const maxLines = options.maxLines ?? 0;
    const merge = options.merge ?? false;
    let n = options.replace ? 0 : regions.length; // where the next pair goes
    const [area, hay] = this.#place(bytes);
    const end = hay + bytes.length;
    area.load(needle);
    const k = needle.bytes.length;
    let found = 0;
    for (let at = hay; at < end;) {
      const limit = maxLines > 0 ? maxLines - found : 0x7fffffff;
      at = (needle.caseless ? area.wasm.linesCaseless : area.wasm.lines)(
        hay,
        at,
        end,
        NEEDLE_AT,
        k,
        needle.p1,
        needle.p2,
        OUT_AT,
        OUT_PAIRS,
        limit,
        merge ? 1 : 0,
      );
      const out = area.i32;
      const head = OUT_AT >> 2;
      const pairs = out[head]!;
      found += out[head + 1]!;
      let i = head + 2;
      if (merge && pairs > 0 && n > 0 && regions[n - 1] === out[i]) {
        regions[n - 1] = out[i + 1]!; // a line that ran on from the last call
        i += 2;
      }
      for (const stop = head + 2 + pairs * 2; i < stop; i += 2, n += 2) {
        regions[n] = out[i]!;
        regions[n + 1] = out[i + 1]!;
      }
      if (maxLines > 0 && found >= maxLines) break;
    }
    if (regions.length > n) regions.length = n;
    return found;
  }

  /**
   * Writes the `regions` of `bytes` (ascending [start, end) pairs) to `write` in a few pieces:
   * small regions copied together inside the WebAssembly memory the bytes are in, large ones as
   * they are. Instead of a view and a copy per region (a line each, for a literal): no garbage
   * per line. False, and nothing written, when `bytes` are not in one of this search's read
   * buffers. A piece is valid only during its `write`.
   */
  gather(bytes: Uint8Array, regions: number[], write: (piece: Uint8Array) => void): boolean {
    const area = this.#homes.get(bytes.buffer);
    if (area === undefined) return false;
    const base = bytes.byteOffset;
    const copy = area.wasm.copy;
    const stop = GATHER_AT + GATHER_MAX;
    let at = GATHER_AT;
    for (let i = 0; i < regions.length; i += 2) {
      const start = base + regions[i]!;
      const n = base + regions[i + 1]! - start;
      if (n > stop - at || n >= GATHER_MAX >> 1) {
        if (at > GATHER_AT) write(area.u8.subarray(GATHER_AT, at));
        at = GATHER_AT;
        if (n >= GATHER_MAX >> 1) {
          write(area.u8.subarray(start, start + n));
          continue;
        }
      }
      at = copy(at, start, n);
    }
    if (at > GATHER_AT) write(area.u8.subarray(GATHER_AT, at));
    return true;
  }

  /** The number of "\n" in `bytes`. */
  countLines(bytes: Uint8Array): number {
    if (bytes.length === 0) return 0;
    const [area, hay] = this.#place(bytes);
    return area.wasm.countLines(hay, hay + bytes.length);
  }

  /** Whether every byte of `bytes` is ASCII (below 0x80). */
  isAscii(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    const [area, hay] = this.#place(bytes);
    return area.wasm.nonAscii(hay, hay + bytes.length) === hay + bytes.length;
  }

  /**
   * What lists where the bytes `b1`, `b2` and "\n" are in ranges of `bytes`, which must not
   * change while it is used (nor this thread search other bytes in between).
   */
  separatorLister(bytes: Uint8Array, b1: number, b2: number): SeparatorLister {
    const [area, base] = this.#place(bytes);
    return new SeparatorLister(area, base, b1, b2);
  }

  /** What finds needles in ranges of `bytes` (see NeedleFinder). */
  needleFinder(bytes: Uint8Array): NeedleFinder {
    const [area, base] = this.#place(bytes);
    return new NeedleFinder(area, base);
  }

  /** Where `bytes` are searched: their read buffer's area, or a copy in the shared one. */
  #place(bytes: Uint8Array): [Area, number] {
    const home = this.#homes.get(bytes.buffer);
    if (home !== undefined) return [home, bytes.byteOffset];
    const shared = this.#shared;
    shared.reserve(bytes.length);
    shared.u8.set(bytes, HAY_AT);
    return [shared, HAY_AT];
  }
}

let shared: ByteSearch | null | undefined;

/** This thread's byte search, or null when WebAssembly with SIMD is not available here. */
export function byteSearch(): ByteSearch | null {
  if (shared === undefined) {
    try {
      shared = new ByteSearch(new WebAssembly.Module(Uint8Array.fromHex(BYTE_SEARCH_WASM_HEX)));
    } catch {
      shared = null;
    }
  }
  return shared;
}

/**
 * ByteSearch.gather with this thread's byte search, where there is one (a selector asked for it:
 * the bytes may be in its read buffers); false otherwise.
 */
export function gatherRegions(
  bytes: Uint8Array,
  regions: number[],
  write: (piece: Uint8Array) => void,
): boolean {
  return shared?.gather(bytes, regions, write) ?? false;
}

/**
 * A buffer for a reader that reuses it: one the byte search reads in place once this thread
 * searches bytes (a selector asked for `byteSearch()`), else a plain one (a thread that only
 * decompresses or copies need not compile the module).
 */
export function readBuffer(size: number): Uint8Array {
  const searched = shared?.readBuffer(size);
  if (searched) return searched;
  const spare = plainSpares.findIndex((b) => b.byteLength >= size);
  if (spare < 0) return new Uint8Array(size);
  return new Uint8Array(plainSpares.splice(spare, 1)[0]!, 0, size);
}

/** Hands a buffer from `readBuffer` back once its reader is done with it. */
export function releaseBuffer(buffer: Uint8Array): void {
  if (shared?.owns(buffer)) shared.releaseBuffer(buffer);
  else if (plainSpares.length < SPARE_READ_BUFFERS && buffer.buffer instanceof ArrayBuffer) {
    if (!plainSpares.includes(buffer.buffer)) plainSpares.push(buffer.buffer);
  }
}

/**
 * Plain read buffers handed back, for the next reader: a fresh 1 MiB buffer per file is zeroed
 * memory, which made a `dcat` of a thousand small files spend half its time allocating.
 */
const plainSpares: ArrayBuffer[] = [];

/**
 * How common a byte is in log text, 0 (rare) to 255: spaces, digits, lower-case letters (by
 * English letter frequency) and the punctuation of timestamps, paths and key=value pairs are
 * common; capitals, other punctuation and control bytes less so. Only the order matters.
 */
function commonness(b: number): number {
  if (b === 0x20) return 255;
  if (b >= 0x30 && b <= 0x39) return 240;
  if (b >= 0x61 && b <= 0x7a) return 120 + LETTER_ORDER[b - 0x61]! * 4;
  if (b >= 0x41 && b <= 0x5a) return 40 + LETTER_ORDER[b - 0x41]! * 2;
  if ("-:./=_[],()\"'".includes(String.fromCharCode(b))) return 200;
  if (b >= 0x80) return 100; // UTF-8 text
  if (b < 0x20) return 5;
  return 60;
}

/** English letter frequency, a–z, as a rank 1 (rarest: z) to 26 (e). */
const LETTER_ORDER = [
  24,
  7,
  15,
  17,
  26,
  11,
  10,
  19,
  22,
  4,
  5,
  16,
  13,
  21,
  23,
  8,
  2,
  18,
  20,
  25,
  14,
  6,
  12,
  3,
  9,
  1,
];

/** The positions of the rarest byte and of the next rarest (another value where possible). */
function rarestTwo(bytes: Uint8Array): [number, number] {
  let p1 = 0;
  for (let i = 1; i < bytes.length; i++) {
    if (commonness(bytes[i]!) < commonness(bytes[p1]!)) p1 = i;
  }
  let p2 = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (i === p1) continue;
    const better = p2 < 0 ||
      (bytes[i] !== bytes[p1] && (bytes[p2] === bytes[p1] ||
        commonness(bytes[i]!) < commonness(bytes[p2]!)));
    if (better) p2 = i;
  }
  return [p1, p2 < 0 ? p1 : p2];
}
