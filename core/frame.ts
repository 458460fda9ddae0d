/**
 * The frame stage: renders selected lines as the user sees them (§1.10, §7.7). Serverless mode
 * renders here directly; the SSH client renders what a server sent with the same functions.
 */
import { DEFAULT_TERM_COLORS, Paint, type TermColors } from "./color.ts";
import { countNewlines } from "./line_batch.ts";
import type { BufferedOutput } from "./output.ts";
import type { Selection } from "./select.ts";
import { blockHeader } from "./protocol/blocks.ts";
import { DELIMITER, escapeMessage } from "./protocol/messages.ts";

export interface FrameOptions {
  /** Raw lines only (§1.10). */
  readonly plain: boolean;
  /** ANSI colors for the labelled format. */
  readonly color: boolean;
  /** Short host name shown in `REMOTE|host|…`. */
  readonly hostname: string;
  readonly colors?: TermColors;
  /**
   * Frame for the wire instead of a terminal (§3.6): each line becomes one message ended by
   * 0xAC; cat/grep keep the line's "\n" inside the message, tail does not.
   */
  readonly wire?: {
    readonly keepNewline: boolean;
    readonly escape: boolean;
    /** `--plain` only: a batch's lines as one raw block (protocol/blocks.ts). */
    readonly blocks?: boolean;
  };
}

const NL = 10;
const encoder = new TextEncoder();

/** The paints of a `REMOTE|…` line, compiled once. */
export class RemotePaints {
  readonly remote: Paint;
  readonly delimiter: Paint;
  readonly hostname: Paint;
  readonly statsOk: Paint;
  readonly statsWarn: Paint;
  readonly count: Paint;
  readonly id: Paint;
  readonly text: Paint;
  readonly warn: Paint;
  readonly error: Paint;
  readonly fatal: Paint;
  constructor(colors: TermColors = DEFAULT_TERM_COLORS) {
    const r = colors.Remote;
    this.remote = new Paint(r.Remote);
    this.delimiter = new Paint(r.Delimiter);
    this.hostname = new Paint(r.Hostname);
    this.statsOk = new Paint(r.StatsOk);
    this.statsWarn = new Paint(r.StatsWarn);
    this.count = new Paint(r.Count);
    this.id = new Paint(r.ID);
    this.text = new Paint(r.Text);
    this.warn = new Paint(colors.Common.SeverityWarn);
    this.error = new Paint(colors.Common.SeverityError);
    this.fatal = new Paint(colors.Common.SeverityFatal);
  }

  /** The painted `REMOTE|host|perc|lineno|id|` prefix. */
  prefix(host: string, perc: string, lineNo: string, id: string): string {
    const d = this.delimiter.paint("|");
    const stats = perc === "100" ? this.statsOk : this.statsWarn;
    return this.remote.paint("REMOTE") + d + this.hostname.paint(host) + d + stats.paint(perc) +
      d + this.count.paint(lineNo) + d + this.id.paint(id) + d;
  }

  /** The paints of a line's text by severityOf(): plain, WARN, ERROR, FATAL. */
  get textPaints(): readonly Paint[] {
    return [this.text, this.warn, this.error, this.fatal];
  }

  /** The paint for a line's text: severity colors for WARN/ERROR/FATAL lines. */
  textPaint(content: Uint8Array): Paint {
    return this.textPaints[severityOf(content)]!;
  }
}

const WARN = encoder.encode("WARN");
const ERROR = encoder.encode("ERROR");
const FATAL = encoder.encode("FATAL");

interface LabelParts {
  readonly before: Uint8Array;
  /** After the line number, by severity (see severityOf); one entry without colors. */
  readonly after: Uint8Array[];
  readonly close: Uint8Array[] | null;
}

/** 0 plain text, 1 WARN, 2 ERROR, 3 FATAL (the text colors of §7.7). */
export function severityOf(content: Uint8Array): number {
  if (startsWith(content, WARN)) return 1;
  if (startsWith(content, ERROR)) return 2;
  if (startsWith(content, FATAL)) return 3;
  return 0;
}

/**
 * True when the bytes hold 0xAB or 0xAC. In a byte-aligned text every non-ASCII byte decoded to a
 * U+FFFD of its own, so a text without one proves the bytes are ASCII without scanning them.
 */
function needsEscape(bytes: Uint8Array, alignedText: string | null): boolean {
  if (alignedText !== null && alignedText.indexOf("\uFFFD") < 0) return false;
  return bytes.indexOf(DELIMITER) >= 0 || bytes.indexOf(0xab) >= 0;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Writes selections of one source to a BufferedOutput in the chosen format. */
export class SelectionPrinter {
  readonly #out: BufferedOutput;
  readonly #options: FrameOptions;
  readonly #paints: RemotePaints | null;
  #prefixFor: string | null = null;
  #prefix: LabelParts | null = null;

  constructor(out: BufferedOutput, options: FrameOptions) {
    this.#out = out;
    this.#options = options;
    this.#paints = options.plain || !options.color ? null : new RemotePaints(options.colors);
  }

  print(sel: Selection, sourceId: string): void {
    const { plain, wire } = this.#options;
    if (plain && wire === undefined) this.#printPlain(sel);
    else if (plain && wire?.blocks === true) this.#printBlock(sel);
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

  #printPlain(sel: Selection): void {
    const { bytes } = sel.batch;
    const r = sel.regions;
    for (let i = 0; i < r.length; i += 2) this.#out.bytes(bytes.subarray(r[i]!, r[i + 1]!));
    const last = r[r.length - 1];
    if (last !== undefined && bytes[last - 1] !== NL) this.#out.byte(NL);
  }

  /** One line at a time: labelled (`REMOTE|…`) and/or framed as wire messages. */
  #printLines(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    const { bytes } = batch;
    const out = this.#out;
    const parts = this.#options.plain ? null : this.#prefixParts(sourceId);
    const wire = this.#options.wire;
    // Line ends are found in the decoded text: String.indexOf is several times faster than
    // Uint8Array.indexOf (a byte-at-a-time loop in V8), and decoding ASCII costs little.
    const text = batch.byteAligned ? batch.text : null;
    const escape = wire?.escape === true && needsEscape(bytes, text);
    let lineNo = batch.firstLineNo;
    let counted = 0; // lines before `counted` bytes are numbered
    for (let i = 0; i < regions.length; i += 2) {
      const regionEnd = regions[i + 1]!;
      let start = regions[i]!;
      lineNo += countNewlines(batch, counted, start);
      while (start < regionEnd) {
        const nl = text === null ? bytes.indexOf(NL, start) : text.indexOf("\n", start);
        const end = nl < 0 || nl >= regionEnd ? regionEnd : nl;
        const content = bytes.subarray(start, end);
        const severity = parts?.close == null ? 0 : severityOf(content);
        if (parts !== null) {
          out.bytes(parts.before);
          out.decimal(lineNo);
          out.bytes(parts.after[severity]!);
        }
        out.bytes(escape ? escapeMessage(content) : content);
        if (parts?.close != null) out.bytes(parts.close[severity]!);
        if (wire === undefined) out.byte(NL);
        else {
          if (wire.keepNewline && end < regionEnd) out.byte(NL);
          out.byte(DELIMITER);
        }
        lineNo++;
        start = end === regionEnd ? regionEnd : end + 1;
      }
      counted = regionEnd;
    }
  }

  /** The encoded text around the line number of a labelled line, cached per source. */
  #prefixParts(sourceId: string): LabelParts {
    if (this.#prefix !== null && this.#prefixFor === sourceId) return this.#prefix;
    const host = this.#options.hostname;
    const p = this.#paints;
    let parts: LabelParts;
    if (p === null) {
      parts = {
        before: encoder.encode(`REMOTE|${host}|100|`),
        after: [encoder.encode(`|${sourceId}|`)],
        close: null,
      };
    } else {
      // The painted prefix around a placeholder line number, cut in two at the placeholder.
      const [before, after] = p.prefix(host, "100", "\0", sourceId).split("\0") as [string, string];
      const texts = p.textPaints;
      parts = {
        before: encoder.encode(before),
        after: texts.map((t) => encoder.encode(after + t.open)),
        close: texts.map((t) => encoder.encode(t.close)),
      };
    }
    this.#prefixFor = sourceId;
    this.#prefix = parts;
    return parts;
  }
}
