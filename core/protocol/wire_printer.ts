/**
 * Frames selected lines for the wire (docs/protocol.md#messages), as a dserver sends them: each
 * line one message ended by 0xAC, labelled `REMOTE|host|100|lineno|id|` unless plain, escaped when
 * the client negotiated it; with `--plain` and raw blocks negotiated, a batch's lines as one block.
 */
import { LineCutter } from "../line_cutter.ts";
import type { BufferedOutput } from "../output.ts";
import type { Selection } from "../select.ts";
import type { Sink } from "../sink.ts";
import { blockHeader } from "./blocks.ts";
import { DELIMITER, escapeInto } from "./messages.ts";

export interface WireOptions {
  /** Raw lines, no `REMOTE|…` label (docs/compatibility.md#output). */
  readonly plain: boolean;
  /** Short host name in `REMOTE|host|…`. */
  readonly hostname: string;
  /** cat/grep keep the line's "\n" inside the message, tail does not. */
  readonly keepNewline: boolean;
  /** 0xAB and 0xAC in a line are escaped (messages.ts). */
  readonly escape: boolean;
  /** `--plain` only: a batch's lines as one raw block (blocks.ts). */
  readonly blocks: boolean;
}

const NL = 10;
/** The bytes an escaping wire escapes (messages.ts). */
const ESCAPED = [0xab, DELIMITER] as const;
const encoder = new TextEncoder();

/** The encoded text around the line number of a labelled line. */
interface LabelParts {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/** Sources whose label parts a printer keeps (a glob's files take turns batch by batch). */
const MAX_LABELS = 4096;

/** Writes the selections of a read to a BufferedOutput as wire messages. */
export class WirePrinter implements Sink {
  readonly #out: BufferedOutput;
  readonly #options: WireOptions;
  readonly #labels = new Map<string, LabelParts>();
  #before: Uint8Array | null = null;

  constructor(out: BufferedOutput, options: WireOptions) {
    this.#out = out;
    this.#options = options;
  }

  selection(sel: Selection, sourceId: string): void {
    if (this.#options.plain && this.#options.blocks) this.#printBlock(sel);
    else this.#printLines(sel, sourceId);
  }

  /** The selected lines as one block, each line ended by "\n" (the client prints it as is). */
  #printBlock(sel: Selection): void {
    const { bytes } = sel.batch;
    const r = sel.regions;
    let size = 0;
    for (let i = 0; i < r.length; i += 2) {
      const start = r[i]!, end = r[i + 1]!;
      if (end > start) size += end - start + (bytes[end - 1] === NL ? 0 : 1);
    }
    if (size === 0) return;
    const out = this.#out;
    out.bytes(blockHeader(size));
    for (let i = 0; i < r.length; i += 2) {
      const start = r[i]!, end = r[i + 1]!;
      if (end === start) continue;
      out.bytes(bytes.subarray(start, end));
      if (bytes[end - 1] !== NL) out.byte(NL);
    }
    out.byte(DELIMITER);
  }

  /** One message per line, labelled unless plain. */
  #printLines(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    const { bytes } = batch;
    const out = this.#out;
    const label = this.#options.plain ? null : this.#labelParts(sourceId);
    const keepNewline = this.#options.keepNewline;
    // Lines holding 0xAB or 0xAC are escaped, each found as its line end is (line_cutter.ts).
    const escape = this.#options.escape;
    const cutter = new LineCutter(batch, escape ? ESCAPED : null);
    let lineNo = batch.firstLineNo;
    let counted = 0; // lines before `counted` bytes are numbered
    for (let i = 0; i < regions.length; i += 2) {
      const regionEnd = regions[i + 1]!;
      let start = regions[i]!;
      if (label !== null) lineNo += cutter.newlines(counted, start);
      while (start < regionEnd) {
        const end = cutter.lineEnd(start, regionEnd);
        const content = bytes.subarray(start, end);
        if (label !== null) {
          out.bytes(label.before);
          out.decimal(lineNo);
          out.bytes(label.after);
        }
        if (cutter.marked) out.filled(content, 2 * content.length, escapeInto);
        else out.bytes(content);
        if (keepNewline && end < regionEnd) out.byte(NL);
        out.byte(DELIMITER);
        lineNo++;
        start = end === regionEnd ? regionEnd : end + 1;
      }
      counted = regionEnd;
    }
  }

  /** The label around the line number, cached per source. */
  #labelParts(sourceId: string): LabelParts {
    const known = this.#labels.get(sourceId);
    if (known !== undefined) return known;
    if (this.#labels.size >= MAX_LABELS) this.#labels.clear();
    this.#before ??= encoder.encode(`REMOTE|${this.#options.hostname}|100|`);
    const parts = { before: this.#before, after: encoder.encode(`|${sourceId}|`) };
    this.#labels.set(sourceId, parts);
    return parts;
  }
}
