/**
 * The fields of one log line as the map stage sees them: byte ranges of the line where a parser
 * found them, strings only where a value was computed (`set`, the common fields) or asked for as
 * text. Numbers are read from the bytes and group keys are interned by their bytes
 * (key_cache.ts), so a line whose fields are only compared, summed or grouped makes no string.
 *
 * Splitting a line at ASCII separators (`|`, `=`, `,`) gives the same pieces on the bytes as on
 * the decoded text: UTF-8 never has an ASCII byte inside a multi-byte character, and the decoder
 * never swallows an ASCII byte into a replacement character.
 */
import { parseGoFloat } from "./evaluate.ts";
import type { Fields } from "./types.ts";

/** What a slot holds for the current line (bit 1: bytes, bit 2: text). */
export const ABSENT = 0;
export const BYTES = 1;
export const TEXT = 2;
/** Bytes, and their text decoded already. */
export const DECODED = 3;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Strings of at most this many ASCII bytes are made with fromCharCode (TextDecoder: ~200 ns). */
const SHORT_ASCII = 64;

/** `bytes[start, end)` decoded as UTF-8 (invalid bytes become U+FFFD, as the batch decoder). */
export function decodeRange(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return "";
  if (n <= SHORT_ASCII) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
    }
  }
  return decoder.decode(bytes.subarray(start, end));
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * `-?digits` or `-?digits.digits` with at most 15 digits, read from bytes: the digits are an
 * exact integer and one division by an exact power of ten rounds correctly, so this is the value
 * parseGoFloat gives. NaN for anything else (then parseGoFloat decides).
 */
export function plainDecimalAt(bytes: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 0 || n > 16) return NaN;
  const negative = bytes[start] === 45; // "-"
  let i = negative ? start + 1 : start;
  if (i === end) return NaN;
  let value = 0;
  let digits = 0;
  let point = -1;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0 && digits > 0 && i + 1 < end) point = digits;
    else return NaN;
  }
  if (digits > 15) return NaN;
  if (point >= 0) value /= POWERS_OF_TEN[digits - point]!;
  return negative ? -value : value;
}

/** The length of a character String.prototype.trim removes at the end of `bytes[start, end)`. */
export function spaceBefore(bytes: Uint8Array, start: number, end: number): number {
  const c = bytes[end - 1]!;
  if (c === 32 || (c >= 9 && c <= 13)) return 1;
  if (c < 0x80 || end - start < 2) return 0;
  if (bytes[end - 2] === 0xc2) return c === 0xa0 ? 2 : 0; // U+00A0
  return end - start >= 3 ? wideSpace(bytes[end - 3]!, bytes[end - 2]!, c) : 0;
}

/** The length of a character String.prototype.trim removes at the start of `bytes[start, end)`. */
export function spaceAfter(bytes: Uint8Array, start: number, end: number): number {
  const c = bytes[start]!;
  if (c === 32 || (c >= 9 && c <= 13)) return 1;
  if (c < 0x80 || end - start < 2) return 0;
  if (c === 0xc2) return bytes[start + 1] === 0xa0 ? 2 : 0;
  return end - start >= 3 ? wideSpace(c, bytes[start + 1]!, bytes[start + 2]!) : 0;
}

/** 3 when the three bytes encode a JavaScript white space or line terminator, else 0. */
function wideSpace(a: number, b: number, c: number): number {
  if (a === 0xe2 && b === 0x80) {
    // U+2000–U+200A, U+2028, U+2029, U+202F
    return (c >= 0x80 && c <= 0x8a) || c === 0xa8 || c === 0xa9 || c === 0xaf ? 3 : 0;
  }
  if (a === 0xe2) return b === 0x81 && c === 0x9f ? 3 : 0; // U+205F
  if (a === 0xe1) return b === 0x9a && c === 0x80 ? 3 : 0; // U+1680
  if (a === 0xe3) return b === 0x80 && c === 0x80 ? 3 : 0; // U+3000
  if (a === 0xef) return b === 0xbb && c === 0xbf ? 3 : 0; // U+FEFF
  return 0;
}

/**
 * The part of `bytes[start, end)` whose text `String.prototype.trim` keeps (its white space and
 * line terminators, Unicode ones included), as `out[0]`, `out[1]`: no allocation per line.
 */
export function trimRange(bytes: Uint8Array, start: number, end: number, out: Int32Array): void {
  for (let n = 0; start < end && (n = spaceAfter(bytes, start, end)) > 0;) start += n;
  for (let n = 0; end > start && (n = spaceBefore(bytes, start, end)) > 0;) end -= n;
  out[0] = start;
  out[1] = end;
}

/**
 * One line's fields by slot. Slots are numbered in the order names are first asked for; a parser
 * resolves the names it sets once and then writes by slot.
 */
export class LineFields implements Fields {
  readonly #slots = new Map<string, number>();
  readonly #names: string[] = [];
  kinds = new Uint8Array(16);
  sources: Uint8Array[] = [];
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  texts: (string | undefined)[] = [];
  /** Slots given the same text on every line (`*`, `$hostname`, …). */
  readonly #fixed: number[] = [];
  readonly #fixedTexts: string[] = [];
  /** The current line's batch text when it maps byte for byte (slicing it beats decoding). */
  #text: string | null = null;
  #textOf: Uint8Array | null = null;

  /** The slot of a name, given one when new. */
  slot(name: string): number {
    let i = this.#slots.get(name);
    if (i === undefined) {
      i = this.#names.length;
      this.#slots.set(name, i);
      this.#names.push(name);
      this.sources.push(EMPTY);
      this.texts.push(undefined);
      if (i >= this.kinds.length) this.#grow();
    }
    return i;
  }

  /** The slot of a name, or -1 when it has none. */
  slotOf(name: string): number {
    return this.#slots.get(name) ?? -1;
  }

  #grow(): void {
    const size = this.kinds.length * 2;
    const kinds = new Uint8Array(size);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const starts = new Int32Array(size);
    starts.set(this.starts);
    this.starts = starts;
    const ends = new Int32Array(size);
    ends.set(this.ends);
    this.ends = ends;
  }

  /** Gives `name` the text `value` on every line. */
  fix(name: string, value: string): void {
    const slot = this.slot(name);
    this.#fixed.push(slot);
    this.#fixedTexts.push(value);
  }

  /**
   * Starts a line of `source`: every slot absent but the fixed ones. `text` is the decoded text
   * of `source` when its indices are byte offsets.
   */
  begin(source: Uint8Array, text: string | null): void {
    const kinds = this.kinds;
    const n = this.#names.length;
    for (let i = 0; i < n; i++) kinds[i] = ABSENT;
    const fixed = this.#fixed;
    for (let i = 0; i < fixed.length; i++) {
      kinds[fixed[i]!] = TEXT;
      this.texts[fixed[i]!] = this.#fixedTexts[i];
    }
    this.#text = text;
    this.#textOf = text === null ? null : source;
  }

  setBytes(slot: number, source: Uint8Array, start: number, end: number): void {
    this.kinds[slot] = BYTES;
    this.sources[slot] = source;
    this.starts[slot] = start;
    this.ends[slot] = end;
  }

  setText(slot: number, value: string): void {
    this.kinds[slot] = TEXT;
    this.texts[slot] = value;
  }

  /** The slot's value as text; undefined when absent. */
  textAt(slot: number): string | undefined {
    const kind = this.kinds[slot];
    if (kind === BYTES) {
      const source = this.sources[slot]!;
      const text = source === this.#textOf
        ? this.#text!.slice(this.starts[slot], this.ends[slot])
        : decodeRange(source, this.starts[slot]!, this.ends[slot]!);
      this.texts[slot] = text;
      this.kinds[slot] = DECODED;
      return text;
    }
    return kind === ABSENT ? undefined : this.texts[slot];
  }

  /** The slot's value as Go's ParseFloat reads it; null when absent or not a number. */
  numberAt(slot: number): number | null {
    const kind = this.kinds[slot]!;
    if (kind === ABSENT) return null;
    if (kind & BYTES) {
      const value = plainDecimalAt(this.sources[slot]!, this.starts[slot]!, this.ends[slot]!);
      if (value === value) return value; // not NaN
    }
    return parseGoFloat(this.textAt(slot)!);
  }

  get(name: string): string | undefined {
    const slot = this.#slots.get(name);
    return slot === undefined ? undefined : this.textAt(slot);
  }

  set(name: string, value: string): void {
    this.setText(this.slot(name), value);
  }

  /** The present fields as a map, in slot order (tests, and LogParser.parse). */
  toMap(): Map<string, string> {
    const map = new Map<string, string>();
    for (let i = 0; i < this.#names.length; i++) {
      const text = this.textAt(i);
      if (text !== undefined) map.set(this.#names[i]!, text);
    }
    return map;
  }
}

const EMPTY = new Uint8Array(0);

/** Names resolved to the slots of one LineFields, re-resolved if another one comes along. */
export class SlotCache {
  #owner: LineFields | null = null;
  #slots = new Int32Array(0);

  constructor(private readonly names: readonly string[]) {}

  of(fields: LineFields): Int32Array {
    if (this.#owner !== fields) {
      this.#owner = fields;
      this.#slots = Int32Array.from(this.names, (name) => fields.slot(name));
    }
    return this.#slots;
  }
}
