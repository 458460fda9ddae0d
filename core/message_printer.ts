/**
 * The client's printers for what servers send: MessagePrinter for messages (one line each) and
 * BlockPrinter for raw blocks. Their output is byte for byte what serverless mode prints.
 */
import type { BufferedOutput } from "./output.ts";
import { RemotePaints, severityOf } from "./remote_paints.ts";
import type { TerminalOptions } from "./terminal_printer.ts";
import type { PayloadRun } from "./protocol/messages.ts";
import { writeVisible } from "./visible_controls.ts";
import { escapeControls } from "./clip.ts";
import { PendingBytes } from "./pending_bytes.ts";

const NL = 10;
const BAR = 124;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REMOTE = encoder.encode("REMOTE|");

/**
 * Prints what a server sent (docs/protocol.md#messages, docs/compatibility.md#colors): payload
 * lines `REMOTE|host|perc|n|id|text` painted like serverless output, raw lines in plain mode, a
 * "\n" added where missing.
 *
 * Painting works on bytes: the painted text around the line number is encoded once per
 * host/perc and per source id and cached, so a line costs a few copies, not string building.
 */
export class MessagePrinter {
  readonly #paints: RemotePaints | null;
  readonly #heads = new EncodedCache<Uint8Array>();
  readonly #tails = new EncodedCache<Uint8Array[]>();
  readonly #closes: Uint8Array[];
  readonly #bars: number[] = [0, 0, 0, 0, 0];
  readonly #visible: boolean;

  constructor(
    private readonly out: BufferedOutput,
    options: Pick<TerminalOptions, "plain" | "color" | "colors" | "visibleControls">,
  ) {
    this.#paints = options.plain || !options.color ? null : new RemotePaints(options.colors);
    this.#closes = this.#paints?.textPaints.map((t) => encoder.encode(t.close)) ?? [];
    this.#visible = !options.plain && options.visibleControls === true;
  }

  payload(message: Uint8Array): void {
    const p = this.#paints;
    // Only colors or a terminal look inside a `REMOTE|…` message; the rest prints as it came.
    if ((p === null && !this.#visible) || !findRemoteBars(message, this.#bars)) {
      this.out.bytes(message);
      if (message[message.length - 1] !== NL) this.out.byte(NL);
      return;
    }
    if (p === null) {
      const textAt = this.#bars[4]! + 1;
      this.out.string(escapeControls(decoder.decode(message.subarray(0, textAt))));
      writeVisible(this.out, withoutNewline(message.subarray(textAt)));
      this.out.byte(NL);
      return;
    }
    if (!this.#visible) return this.#painted(p, message, message.length);
    // Colored for a terminal: every field with its controls shown.
    const [b0, , b2, b3, b4] = this.#bars as [number, number, number, number, number];
    const out = this.out;
    // `REMOTE|host|perc|` + the line number's paint, then `|id|` + the text's paint.
    out.bytes(this.#heads.get(message.subarray(b0 + 1, b2), (hostPerc) => {
      const cut = hostPerc.indexOf("|");
      return encoder.encode(
        headText(
          p,
          escapeControls(hostPerc.slice(0, cut)),
          escapeControls(hostPerc.slice(cut + 1)),
        ),
      );
    }));
    out.string(escapeControls(decoder.decode(message.subarray(b2 + 1, b3))));
    const content = message.subarray(b4 + 1);
    const severity = severityOf(content);
    out.bytes(
      this.#tails.get(message.subarray(b3 + 1, b4), (id) => {
        const d = p.delimiter.paint("|");
        const after = p.count.close + d + p.id.paint(escapeControls(id)) + d;
        return p.textPaints.map((t) => encoder.encode(after + t.open));
      })[severity]!,
    );
    writeVisible(out, withoutNewline(content));
    out.bytes(this.#closes[severity]!);
    out.byte(NL);
  }

  /**
   * The colored line of the message that ends at `bytes[end]`, whose bars `#bars` holds (offsets
   * into `bytes`), as `payload` paints it, from offsets rather than views of the message.
   */
  #painted(p: RemotePaints, bytes: Uint8Array, end: number): void {
    const bars = this.#bars;
    const b0 = bars[0]!, b2 = bars[2]!, b3 = bars[3]!, b4 = bars[4]!;
    const out = this.out;
    out.bytes(this.#heads.getRange(bytes, b0 + 1, b2, (hostPerc) => {
      const cut = hostPerc.indexOf("|");
      return encoder.encode(headText(p, hostPerc.slice(0, cut), hostPerc.slice(cut + 1)));
    }));
    out.range(bytes, b2 + 1, b3);
    const severity = severityOf(bytes, b4 + 1, end);
    out.bytes(
      this.#tails.getRange(bytes, b3 + 1, b4, (id) => {
        const d = p.delimiter.paint("|");
        const after = p.count.close + d + p.id.paint(id) + d;
        return p.textPaints.map((t) => encoder.encode(after + t.open));
      })[severity]!,
    );
    out.range(bytes, b4 + 1, end > b4 + 1 && bytes[end - 1] === NL ? end - 1 : end);
    out.bytes(this.#closes[severity]!);
    out.byte(NL);
  }

  /** Prints consecutive payload messages of one chunk, as `payload` would one by one. */
  payloadRun(run: PayloadRun): void {
    const { bytes, ends } = run;
    let start = run.start;
    const p = this.#paints;
    if (p !== null && !this.#visible) {
      // Colored: painted from offsets into the chunk, no view made per message (GC time).
      for (const end of ends) {
        if (findRemoteBarsIn(bytes, start, end, this.#bars)) this.#painted(p, bytes, end);
        else this.payload(bytes.subarray(start, end));
        start = end + 1;
      }
      return;
    }
    if (this.#visible) {
      for (const end of ends) {
        this.payload(bytes.subarray(start, end));
        start = end + 1;
      }
      return;
    }
    const out = this.out;
    for (let k = 0; k < ends.length; k++) {
      const end = ends[k]!;
      out.bytes(bytes.subarray(start, end));
      if (end === start || bytes[end - 1] !== NL) out.byte(NL);
      start = end + 1;
    }
  }
}

function withoutNewline(text: Uint8Array): Uint8Array {
  return text[text.length - 1] === NL ? text.subarray(0, text.length - 1) : text;
}

/**
 * Finds the five bars after `REMOTE` of a `REMOTE|host|perc|n|id|content` message, their indices
 * into `bars`; false when `m` is not such a message.
 */
export function findRemoteBars(m: Uint8Array, bars: number[]): boolean {
  return findRemoteBarsIn(m, 0, m.length, bars);
}

/** findRemoteBars of the message `m[start, end)`; the bars' indices are offsets into `m`. */
function findRemoteBarsIn(m: Uint8Array, start: number, end: number, bars: number[]): boolean {
  if (end - start < REMOTE.length) return false;
  for (let i = 0; i < REMOTE.length; i++) if (m[start + i] !== REMOTE[i]) return false;
  let n = 0;
  for (let i = start + REMOTE.length - 1; i < end && n < 5; i++) if (m[i] === BAR) bars[n++] = i;
  return n === 5;
}

/** The painted `REMOTE|host|perc|` and the opening of the line number's paint. */
function headText(p: RemotePaints, host: string, perc: string): string {
  const d = p.delimiter.paint("|");
  const stats = perc === "100" ? p.statsOk : p.statsWarn;
  return p.remote.paint("REMOTE") + d + p.hostname.paint(host) + d + stats.paint(perc) + d +
    p.count.open;
}

/** Keys longer than this are made anew each time: a cache of 4,096 of them could hold gigabytes. */
const CACHED_KEY_BYTES = 256;

/** Values made from a short byte key, remembered by the key's text (the last one checked first). */
class EncodedCache<V> {
  #lastKey: Uint8Array | null = null;
  #lastValue: V | null = null;
  readonly #byText = new Map<string, V>();

  /** `get` of the key `bytes[start, end)`: no view of it is made when it was the last key. */
  getRange(bytes: Uint8Array, start: number, end: number, make: (text: string) => V): V {
    const last = this.#lastKey;
    if (last !== null && sameRange(last, bytes, start, end)) return this.#lastValue!;
    return this.get(bytes.subarray(start, end), make);
  }

  get(key: Uint8Array, make: (text: string) => V): V {
    const last = this.#lastKey;
    if (last !== null && sameRange(last, key, 0, key.length)) return this.#lastValue!;
    const text = decoder.decode(key);
    if (key.length > CACHED_KEY_BYTES) return make(text);
    let value = this.#byText.get(text);
    if (value === undefined) {
      if (this.#byText.size >= 4096) this.#byText.clear();
      value = make(text);
      this.#byText.set(text, value);
    }
    this.#lastKey = key.slice();
    this.#lastValue = value;
    return value;
  }
}

function sameRange(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/**
 * Prints the raw blocks of one session (`--plain` between peers of ours). A piece may end
 * mid-line: the partial line waits for the rest, so the output of several sessions interleaves
 * only between lines, and a line cut off by a dropped connection is never printed.
 */
export class BlockPrinter {
  readonly #partial = new PendingBytes();

  constructor(private readonly out: BufferedOutput) {}

  piece(bytes: Uint8Array): void {
    let from = 0;
    if (this.#partial.length > 0) {
      const nl = bytes.indexOf(NL);
      if (nl < 0) {
        this.#partial.append(bytes);
        return;
      }
      from = nl + 1;
      this.out.bytes(this.#partial.view());
      this.out.bytes(bytes.subarray(0, from));
      this.#partial.clear();
    }
    const last = bytes.lastIndexOf(NL);
    if (last >= from) this.out.bytes(bytes.subarray(from, last + 1));
    const rest = Math.max(from, last + 1);
    if (rest < bytes.length) this.#partial.append(bytes.subarray(rest));
  }
}
