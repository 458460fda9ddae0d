/** A batch of whole lines: the unit that flows from the line splitter to filters and framers. */
import { byteSearch, type Needle } from "./byte_search.ts";
import { latin1Of, latin1Ready, noteLatin1Wanted } from "./latin1.ts";
import { decodeUtf8 } from "./utf8.ts";

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const NEWLINE = 10;

export class LineBatch {
  #text: string | undefined;
  #latin1: string | undefined;
  #ascii: boolean | undefined;
  /** readsLatin1's answer, for the rule it was asked for, and whether it was only not ready. */
  #readingRule: readonly Needle[] | null = null;
  #reading = false;
  #latin1Wanted = false;
  #wholeNoted = false;

  /**
   * @param bytes one or more whole lines; each ends with "\n" except the last line of an input
   *   that does not end with one.
   * @param firstLineNo 1-based number of the first line (0 when the pipeline does not number).
   */
  constructor(readonly bytes: Uint8Array, readonly firstLineNo: number) {}

  /** True when `text` was asked for already (so using it costs nothing more). */
  get decoded(): boolean {
    return this.#text !== undefined;
  }

  /** The batch decoded as UTF-8 (each invalid byte a U+FFFD, as RE2 reads it), decoded once. */
  get text(): string {
    return this.#text ??= decodeUtf8(this.bytes);
  }

  /**
   * True when every byte is ASCII, so that `text` maps byte for byte and decodes at memory speed;
   * found without decoding where the byte search runs (byte_search.ts).
   */
  get ascii(): boolean {
    return this.#ascii ??= byteSearch()?.isAscii(this.bytes) ??
      (this.byteAligned && !/[^\0-\x7f]/.test(this.text));
  }

  /**
   * Whether a matcher with `rule` searches this batch in its Latin-1 reading: it is asciiOnly, the
   * batch is not all ASCII (its UTF-8 text is as good then) and holds none of its `latin1Unless`,
   * and the reading is ready (latin1.ts). Decided once for a rule, so that every stage of a batch
   * searches the same text.
   */
  readsLatin1(rule: Latin1Rule): boolean {
    const unless = rule.latin1Unless;
    const key = !rule.asciiOnly ? null : unless !== undefined && unless.length > 0 ? unless : NONE;
    if (key !== this.#readingRule) {
      this.#readingRule = key;
      const eligible = key !== null && !this.ascii && !this.#holdsAny(key);
      this.#reading = eligible && latin1Ready();
      this.#latin1Wanted = eligible && !this.#reading;
    }
    return this.#reading;
  }

  /**
   * Whether the last readsLatin1 said no only because the reading was not ready: UTF-8 decoding
   * of this batch is then noted (see latin1.ts).
   */
  get latin1Wanted(): boolean {
    return this.#latin1Wanted;
  }

  /** Notes (once) that the whole batch is searched as UTF-8 where Latin-1 was wanted. */
  noteWholeUtf8(): void {
    if (!this.#latin1Wanted || this.#wholeNoted) return;
    this.#wholeNoted = true;
    noteLatin1Wanted(this.bytes.length);
  }

  #holdsAny(needles: readonly Needle[]): boolean {
    if (needles.length === 0) return false;
    const search = byteSearch();
    if (search === null) return needles.some((n) => this.text.includes(decoder.decode(n.bytes)));
    return needles.some((n) => search.linesWith(this.bytes, n, [], { maxLines: 1 }) > 0);
  }

  /**
   * The batch read as Latin-1: one character (U+0000–U+00FF) per byte, so indices are byte
   * offsets; read once. An asciiOnly matcher (matcher_types.ts) selects the same lines in it as in
   * `text`, and V8 searches it as fast as ASCII text, whatever the bytes.
   */
  get latin1(): string {
    return this.#latin1 ??= latin1Of(this.bytes);
  }

  /**
   * True when every byte decoded to exactly one UTF-16 unit, so text indices are byte offsets.
   * (A UTF-8 sequence or invalid byte run never decodes to more units than it has bytes, so
   * equal lengths imply a one-to-one mapping.) Pure ASCII logs always take this fast path.
   */
  get byteAligned(): boolean {
    return this.text.length === this.bytes.length;
  }
}

/** What a matcher says of reading batches as Latin-1 (matcher_types.ts). */
export interface Latin1Rule {
  readonly asciiOnly?: boolean;
  readonly latin1Unless?: readonly Needle[];
}

const NONE: readonly Needle[] = [];

/**
 * The text a matcher searches a batch in, indices being byte offsets when `alignedText` says so:
 * the UTF-8 text when decoded already and mapping byte for byte, else the Latin-1 reading where
 * `batch.readsLatin1(rule)`, else the UTF-8 text.
 */
export function searchText(batch: LineBatch, rule: Latin1Rule): string {
  if (batch.decoded && batch.byteAligned) return batch.text;
  if (batch.readsLatin1(rule)) return batch.latin1;
  batch.noteWholeUtf8();
  return batch.text;
}

/** Whether `searchText(batch, rule)` maps byte for byte. */
export function alignedText(batch: LineBatch, rule: Latin1Rule): boolean {
  return batch.readsLatin1(rule) || batch.ascii || batch.byteAligned;
}

/** Bytes of whole lines in one piece of searchPieces (a line longer than this is one piece). */
export const PIECE_BYTES = 96 * 1024;

/** A piece of a batch's search text, and the byte offset in the batch where it starts. */
export interface TextPiece {
  readonly text: string;
  readonly offset: number;
}

/**
 * `searchText` in pieces of whole lines of about PIECE_BYTES. A string over 128 KiB is one of V8's
 * large objects, on pages new to the process, each one a page fault (~12 µs on the VMs measured),
 * while a shorter one is a young object whose memory serves again after the next scavenge: a
 * `dgrep` whose regex matched most lines of 100 MB took ~0.1 s of such faults with whole batches
 * of 1 MiB. Pieces are made where they map byte for byte without decoding the whole batch (ASCII,
 * or the Latin-1 reading) and the whole text was not decoded already; else the one piece is
 * `searchText(batch, rule)`.
 */
export function* searchPieces(batch: LineBatch, rule: Latin1Rule): Generator<TextPiece> {
  const { bytes } = batch;
  const latin1 = !batch.decoded && batch.readsLatin1(rule);
  if (bytes.length <= PIECE_BYTES || batch.decoded || !(latin1 || batch.ascii)) {
    yield { text: searchText(batch, rule), offset: 0 };
    return;
  }
  const decode = latin1 || latin1Ready() ? latin1Of : (b: Uint8Array) => decoder.decode(b);
  for (let start = 0; start < bytes.length;) {
    let end = bytes.length;
    if (end - start > PIECE_BYTES) {
      const nl = bytes.lastIndexOf(NEWLINE, start + PIECE_BYTES - 1);
      const after = nl >= start ? nl : bytes.indexOf(NEWLINE, start + PIECE_BYTES);
      if (after >= 0) end = after + 1;
    }
    yield { text: decode(bytes.subarray(start, end)), offset: start };
    start = end;
  }
}

/**
 * Counts "\n" in `bytes[from, to)`: with the byte search's SIMD count (byte_search.ts); else on
 * the decoded text when a stage already decoded it and it maps one-to-one (String.indexOf is
 * faster than Uint8Array.indexOf); never decodes just to count.
 */
export function countNewlines(batch: LineBatch, from: number, to: number): number {
  if (to <= from) return 0;
  const search = byteSearch();
  if (search !== null) return search.countLines(batch.bytes.subarray(from, to));
  let n = 0;
  if (batch.decoded && batch.byteAligned) {
    const t = batch.text;
    for (let i = t.indexOf("\n", from); i >= 0 && i < to; i = t.indexOf("\n", i + 1)) n++;
    return n;
  }
  const b = batch.bytes;
  for (let i = b.indexOf(10, from); i >= 0 && i < to; i = b.indexOf(10, i + 1)) n++;
  return n;
}
