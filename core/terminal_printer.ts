/**
 * Renders selected lines for people (docs/compatibility.md#output, docs/compatibility.md#colors):
 * raw with `--plain`, otherwise labelled `REMOTE|host|100|lineno|id|text`, in colors when asked.
 * Serverless mode prints with it; the SSH client renders what servers sent with message_printer.ts,
 * in the same colors.
 */
import type { TermColors } from "./color.ts";
import { gatherRegions } from "./byte_search.ts";
import { LineCutter } from "./line_cutter.ts";
import type { BufferedOutput } from "./output.ts";
import { RemotePaints, severityOf } from "./remote_paints.ts";
import type { Selection } from "./select.ts";
import type { Sink } from "./sink.ts";
import { writeVisible } from "./visible_controls.ts";
import { escapeControls } from "./clip.ts";

export interface TerminalOptions {
  /** Raw lines only (docs/compatibility.md#output). */
  readonly plain: boolean;
  /** ANSI colors for the labelled format. */
  readonly color: boolean;
  /**
   * The labelled lines go to a terminal: control characters in their text are written visibly
   * (visible_controls.ts). Never for `plain`.
   */
  readonly visibleControls?: boolean;
  /** Short host name shown in `REMOTE|host|…`. */
  readonly hostname: string;
  readonly colors?: TermColors;
}

const NL = 10;
/**
 * Gathered pieces shorter than this are copied into the output's buffer: a write(2) of each costs
 * more than the copy (one per file, for a thousand files of a few lines).
 */
const GATHERED_BUFFERED_MAX = 32 * 1024;
const encoder = new TextEncoder();

interface LabelParts {
  readonly before: Uint8Array;
  /** After the line number, by severity (see severityOf); one entry without colors. */
  readonly after: Uint8Array[];
  readonly close: Uint8Array[] | null;
}

/** Writes the selections of a read to a BufferedOutput, a line ended by "\n". */
export class TerminalPrinter implements Sink {
  readonly #out: BufferedOutput;
  readonly #options: TerminalOptions;
  readonly #paints: RemotePaints | null;
  #labelFor: string | null = null;
  #label: LabelParts | null = null;

  /** Gathered lines: a small piece joins the buffer (a read of many small files), a large one not. */
  readonly #gathered: (piece: Uint8Array) => void;

  constructor(out: BufferedOutput, options: TerminalOptions) {
    this.#out = out;
    this.#gathered = (piece) => {
      if (piece.length < GATHERED_BUFFERED_MAX) out.bytes(piece);
      else out.unbuffered(piece);
    };
    this.#options = options;
    this.#paints = options.plain || !options.color ? null : new RemotePaints(options.colors);
  }

  selection(sel: Selection, sourceId: string): void {
    if (this.#options.plain) this.#printPlain(sel);
    else this.#printLabelled(sel, sourceId);
  }

  #printPlain(sel: Selection): void {
    const { bytes } = sel.batch;
    const r = sel.regions;
    if (r.length <= 2 || !gatherRegions(bytes, r, this.#gathered)) {
      for (let i = 0; i < r.length; i += 2) this.#out.bytes(bytes.subarray(r[i]!, r[i + 1]!));
    }
    const last = r[r.length - 1];
    if (last !== undefined && bytes[last - 1] !== NL) this.#out.byte(NL);
  }

  #printLabelled(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    const { bytes } = batch;
    const out = this.#out;
    const label = this.#labelParts(sourceId);
    const visible = this.#options.visibleControls === true;
    const cutter = new LineCutter(batch);
    let lineNo = batch.firstLineNo;
    let counted = 0; // lines before `counted` bytes are numbered
    for (let i = 0; i < regions.length; i += 2) {
      const regionEnd = regions[i + 1]!;
      let start = regions[i]!;
      lineNo += cutter.newlines(counted, start);
      while (start < regionEnd) {
        const end = cutter.lineEnd(start, regionEnd);
        const content = bytes.subarray(start, end);
        const severity = label.close === null ? 0 : severityOf(content);
        out.bytes(label.before);
        out.decimal(lineNo);
        out.bytes(label.after[severity]!);
        if (visible) writeVisible(out, content);
        else out.bytes(content);
        if (label.close !== null) out.bytes(label.close[severity]!);
        out.byte(NL);
        lineNo++;
        start = end === regionEnd ? regionEnd : end + 1;
      }
      counted = regionEnd;
    }
  }

  /** The encoded text around the line number of a labelled line, cached per source. */
  #labelParts(sourceId: string): LabelParts {
    if (this.#label !== null && this.#labelFor === sourceId) return this.#label;
    const host = this.#options.hostname;
    const id = this.#options.visibleControls === true ? escapeControls(sourceId) : sourceId;
    const p = this.#paints;
    let parts: LabelParts;
    if (p === null) {
      parts = {
        before: encoder.encode(`REMOTE|${host}|100|`),
        after: [encoder.encode(`|${id}|`)],
        close: null,
      };
    } else {
      // The painted prefix around a placeholder line number, cut in two at the placeholder.
      const [before, after] = p.prefix(host, "100", "\0", id).split("\0") as [string, string];
      const texts = p.textPaints;
      parts = {
        before: encoder.encode(before),
        after: texts.map((t) => encoder.encode(after + t.open)),
        close: texts.map((t) => encoder.encode(t.close)),
      };
    }
    this.#labelFor = sourceId;
    this.#label = parts;
    return parts;
  }
}
