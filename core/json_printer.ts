/**
 * `--json` for lines (docs/usage.md#machine-output---json): one object per line,
 * `{"host":…,"source":…,"lineno":…,"line":…}` in that order, the line without its "\n".
 * JsonLinePrinter writes the selections of a serverless read, JsonMessagePrinter the labelled lines
 * servers send (`REMOTE|host|perc|lineno|id|text`, docs/protocol.md#messages). A line that is not
 * valid UTF-8 reads with U+FFFD in `line` and comes whole, base64, in an extra `line_b64`.
 */
import { countNewlines } from "./line_batch.ts";
import { isValidUtf8 } from "./utf8.ts";
import { findRemoteBars } from "./message_printer.ts";
import type { BufferedOutput } from "./output.ts";
import type { PayloadRun } from "./protocol/messages.ts";
import type { Selection } from "./select.ts";
import type { Sink } from "./sink.ts";

/** What the client prints server messages with: MessagePrinter, or JsonMessagePrinter. */
export interface PayloadPrinter {
  payload(message: Uint8Array): void;
  payloadRun(run: PayloadRun): void;
}

const NL = 10;
const encoder = new TextEncoder();
const lossy = new TextDecoder("utf-8", { ignoreBOM: true });
const LINE_KEY = encoder.encode(',"line":');
/** A line's key and opening quote, and the closing quote and object, around bytes as they are. */
const LINE_OPEN = encoder.encode(',"line":"');
const LINE_CLOSE = encoder.encode('"}\n');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NULL = encoder.encode("null");
const CLOSE = encoder.encode("}\n");
/** The head of a payload that is not a labelled line (a server's stray text). */
const UNLABELLED = encoder.encode('{"host":null,"source":null,"lineno":null');

/** The encoded `{"host":…,"source":…,"lineno":` of one host and source. */
export function lineHead(host: string, source: string): Uint8Array {
  return encoder.encode(
    `{"host":${JSON.stringify(host)},"source":${JSON.stringify(source)},"lineno":`,
  );
}

/** Whether a byte goes into a JSON string as it is and as one character: ASCII, no escape. */
function plainByte(c: number): boolean {
  return c >= 0x20 && c < 0x80 && c !== QUOTE && c !== BACKSLASH;
}

/** Writes `,"line":…` and the closing `}\n` of a line's bytes, as `writeLine` of their text. */
function writeLineBytes(out: BufferedOutput, content: Uint8Array): void {
  for (let i = 0; i < content.length; i++) {
    if (!plainByte(content[i]!)) return writeLine(out, content, lossy.decode(content));
  }
  out.bytes(LINE_OPEN);
  out.bytes(content);
  out.bytes(LINE_CLOSE);
}

/** Writes `,"line":…` (and `,"line_b64":…` for invalid UTF-8) and the closing `}\n`. */
function writeLine(out: BufferedOutput, content: Uint8Array, text: string): void {
  out.bytes(LINE_KEY);
  out.string(JSON.stringify(text));
  // U+FFFD is in the text of every invalid line; a valid one may hold it too, hence the check.
  if (text.includes("\uFFFD") && !isValidUtf8(content)) {
    out.string(`,"line_b64":"${content.toBase64()}"`);
  }
  out.bytes(CLOSE);
}

/** Writes the selections of a serverless read as line objects; `hostname` is this host's. */
export class JsonLinePrinter implements Sink {
  #headFor: string | null = null;
  #head: Uint8Array = NULL;

  constructor(private readonly out: BufferedOutput, private readonly hostname: string) {}

  selection(sel: Selection, sourceId: string): void {
    const { batch, regions } = sel;
    const { bytes } = batch;
    const out = this.out;
    if (this.#headFor !== sourceId) {
      this.#head = lineHead(this.hostname, sourceId);
      this.#headFor = sourceId;
    }
    const head = this.#head;
    // A batch's text is sliced when it is decoded anyway and maps byte for byte; otherwise a line
    // that cannot go as it is gets decoded alone.
    const text = batch.decoded && batch.byteAligned ? batch.text : null;
    const numbered = batch.firstLineNo > 0;
    let lineNo = batch.firstLineNo;
    let counted = 0; // lines before `counted` bytes are numbered
    for (let i = 0; i < regions.length; i += 2) {
      const regionEnd = regions[i + 1]!;
      let start = regions[i]!;
      if (numbered) lineNo += countNewlines(batch, counted, start);
      while (start < regionEnd) {
        // The line's end, and whether it is ASCII that needs no escape: then it goes as it is
        // between quotes; other lines are decoded and escaped by JSON.stringify (in C++, faster at
        // that than a loop here).
        let end = start;
        let plain = true;
        for (; end < regionEnd; end++) {
          const c = bytes[end]!;
          if (c === NL) break;
          if (!plainByte(c)) {
            plain = false;
            const nl = bytes.indexOf(NL, end);
            end = nl < 0 || nl >= regionEnd ? regionEnd : nl;
            break;
          }
        }
        out.bytes(head);
        if (numbered) out.decimal(lineNo);
        else out.bytes(NULL);
        if (plain) {
          out.bytes(LINE_OPEN);
          out.bytes(bytes.subarray(start, end));
          out.bytes(LINE_CLOSE);
        } else {
          const content = bytes.subarray(start, end);
          writeLine(out, content, text === null ? lossy.decode(content) : text.slice(start, end));
        }
        lineNo++;
        start = end === regionEnd ? regionEnd : end + 1;
      }
      counted = regionEnd;
    }
  }
}

/**
 * Writes the payload messages of servers as line objects: host, line number and source id as the
 * server labelled the line. A payload without the label gets null for all three.
 */
export class JsonMessagePrinter implements PayloadPrinter {
  readonly #bars: number[] = [0, 0, 0, 0, 0];
  #lastHost: Uint8Array | null = null;
  #lastSource: Uint8Array | null = null;
  #head: Uint8Array = NULL;

  constructor(private readonly out: BufferedOutput) {}

  payload(message: Uint8Array): void {
    const out = this.out;
    const end = message.length > 0 && message[message.length - 1] === NL
      ? message.length - 1
      : message.length;
    if (!findRemoteBars(message, this.#bars)) {
      out.bytes(UNLABELLED);
      writeLineBytes(out, message.subarray(0, end));
      return;
    }
    const [b0, b1, b2, b3, b4] = this.#bars as [number, number, number, number, number];
    out.bytes(this.#headOf(message.subarray(b0 + 1, b1), message.subarray(b3 + 1, b4)));
    const lineNo = message.subarray(b2 + 1, b3);
    out.bytes(isDecimal(lineNo) ? lineNo : NULL);
    writeLineBytes(out, message.subarray(b4 + 1, Math.max(b4 + 1, end)));
  }

  /** Prints consecutive payload messages of one chunk, as `payload` would one by one. */
  payloadRun(run: PayloadRun): void {
    const { bytes, ends } = run;
    let start = run.start;
    for (let k = 0; k < ends.length; k++) {
      const end = ends[k]!;
      this.payload(bytes.subarray(start, end));
      start = end + 1;
    }
  }

  /** The head of a host and source, remembered for the next line (mostly of the same file). */
  #headOf(host: Uint8Array, source: Uint8Array): Uint8Array {
    const lastHost = this.#lastHost;
    const lastSource = this.#lastSource;
    if (
      lastHost !== null && lastSource !== null && sameBytes(lastHost, host) &&
      sameBytes(lastSource, source)
    ) return this.#head;
    this.#head = lineHead(lossy.decode(host), lossy.decode(source));
    this.#lastHost = host.slice();
    this.#lastSource = source.slice();
    return this.#head;
  }
}

/** One or more ASCII digits, not starting with 0 unless alone: a JSON number as it is. */
function isDecimal(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 15) return false;
  if (bytes[0] === 48 && bytes.length > 1) return false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
