/**
 * Server → client messages (docs/protocol.md#messages): separated by the single byte 0xAC. Kinds:
 * `REMOTE|…` lines, `SERVER|host|text` notices, hidden `.syn …` messages, `AGGREGATE|…`.
 *
 * docs/protocol.md#escaping: 0xAC also occurs inside UTF-8 text ("€" is E2 82 AC). Between two
 * peers of ours the server advertises ESCAPE_CAPABILITY, the client asks for it with the
 * `escape=ac` option, and the server then escapes 0xAB → AB 01 and 0xAC → AB 02 inside messages. Go
 * peers never see it.
 *
 * Escaping also frees a marker: once negotiated, every message that is not payload (notices,
 * hidden messages) starts with AB 03, which escaped content never does; its text after the marker
 * is escaped too (a notice may quote "€"). In `--plain` mode the Go
 * format cannot tell a notice from a payload line (and takes payload starting with "." for a
 * hidden message); with the marker our client always can.
 */

import { PendingBytes } from "../pending_bytes.ts";
import { scanDelimiters } from "./delimiter_scan.ts";

export const DELIMITER = 0xac;
const ESC = 0xab;
export const ESCAPE_CAPABILITY = "escape-ac-v1";
export const ESCAPE_OPTION = "escape";
export const CLOSE_REQUEST = ".syn close connection";
/** Ours: a note about a query that the client shows as the server's (`.mapr note <text>`). */
export const MAPR_NOTE = ".mapr note ";

/**
 * The longest a client lets one message grow before its delimiter arrives: 64 times the default
 * MaxLineLength. A server that sends more (a hostile one, or a MaxLineLength set far above the
 * default) ends its session with an error instead of taking the client's memory.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** The first bytes of a control (non-payload) message between two peers of ours. */
export const CONTROL_MARKER = new Uint8Array([ESC, 3]);

export function isControl(message: Uint8Array): boolean {
  return message.length >= 2 && message[0] === ESC && message[1] === 3;
}

/** Escapes a message payload (only when the client asked for it). */
export function escapeMessage(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === DELIMITER || bytes[i] === ESC) extra++;
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.length + extra);
  escapeInto(bytes, out, 0);
  return out;
}

/**
 * Writes `bytes` escaped into `out` from `at` (room for up to twice their length); returns where
 * they end.
 */
export function escapeInto(bytes: Uint8Array, out: Uint8Array, at: number): number {
  let o = at;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === ESC || b === DELIMITER) {
      out[o++] = ESC;
      out[o++] = b === ESC ? 1 : 2;
    } else out[o++] = b;
  }
  return o;
}

/** Undoes escapeMessage; a control message keeps its marker, the text after it is unescaped. */
export function unescapeMessage(bytes: Uint8Array): Uint8Array {
  const from = isControl(bytes) ? CONTROL_MARKER.length : 0;
  if (bytes.indexOf(ESC, from) < 0) return bytes;
  const out = new Uint8Array(bytes.length);
  out.set(bytes.subarray(0, from));
  let o = from;
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === ESC && i + 1 < bytes.length) {
      out[o++] = bytes[++i] === 1 ? ESC : DELIMITER;
    } else out[o++] = b;
  }
  return out.subarray(0, o);
}

/**
 * Splits the server's byte stream into messages. Messages are views of the pushed chunk where
 * possible: only a message that straddles two chunks is copied, and a chunk without any escape
 * byte skips unescaping altogether (the common case).
 */
/** Payload messages that follow each other in one chunk (see MessageReader.splitPayload). */
export interface PayloadRun {
  /** The message completed by this chunk from the previous chunk's tail, if any. */
  readonly joined: Uint8Array | null;
  readonly bytes: Uint8Array;
  /** Where the first message of the run starts in `bytes`. */
  readonly start: number;
  /** Where each message ends (at its delimiter); the next one starts one byte later. */
  readonly ends: Int32Array;
}

export class MessageReader {
  /** The start of a message still without its delimiter. */
  readonly #pending = new PendingBytes();
  /** Whether the pending bytes hold an 0xAB (an escape or a control marker). */
  #pendingEscape = false;
  #ends = new Int32Array(0);

  /**
   * Why the stream cannot be read on (a message longer than `maxMessage` without its end); from
   * then on `push` returns nothing and `splitPayload` null.
   */
  error: string | null = null;

  constructor(
    private readonly escaped: () => boolean = () => false,
    private readonly maxMessage = MAX_MESSAGE_BYTES,
  ) {}

  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.error !== null) return out;
    const unescape = this.escaped() && bytes.indexOf(ESC) >= 0;
    const take = (m: Uint8Array) => out.push(unescape ? unescapeMessage(m) : m);
    let start = 0;
    let i = bytes.indexOf(DELIMITER);
    if (i >= 0 && this.#pending.length > 0) {
      const joined = this.#joinPending(bytes.subarray(0, i));
      out.push(this.escaped() ? unescapeMessage(joined) : joined);
      start = i + 1;
      i = bytes.indexOf(DELIMITER, start);
    }
    for (; i >= 0; i = bytes.indexOf(DELIMITER, start)) {
      take(bytes.subarray(start, i));
      start = i + 1;
    }
    if (start < bytes.length) this.#keep(bytes.subarray(start));
    return out;
  }

  /**
   * The fast path of an escaped stream: a chunk without any 0xAB holds no escape sequence and no
   * control marker, so every message ending in it is payload as it stands. Finds them without a
   * view per message. Returns null, consuming nothing, when the chunk or the pending tail holds
   * an 0xAB (then `push` it). The run is valid until the next call.
   */
  splitPayload(bytes: Uint8Array): PayloadRun | null {
    if (this.error !== null || this.#pendingEscape) return null;
    if (this.#ends.length < bytes.length) this.#ends = new Int32Array(bytes.length * 2);
    const count = scanDelimiters(bytes, this.#ends);
    if (count < 0) return null;
    let joined: Uint8Array | null = null;
    let first = 0;
    if (count > 0 && this.#pending.length > 0) {
      joined = this.#joinPending(bytes.subarray(0, this.#ends[0]));
      first = 1;
    }
    const tail = count > 0 ? this.#ends[count - 1]! + 1 : 0;
    if (tail < bytes.length) this.#keep(bytes.subarray(tail));
    const start = first === 1 ? this.#ends[0]! + 1 : 0;
    return { joined, bytes, start, ends: this.#ends.subarray(first, count) };
  }

  /** Whether a message has begun and not ended yet. */
  get inMessage(): boolean {
    return this.#pending.length > 0;
  }

  /** What is left at the end of the stream (a last message without a delimiter), as a copy. */
  rest(): Uint8Array | null {
    return this.#pending.length > 0 ? this.#pending.view().slice() : null;
  }

  /** Keeps the start of an unfinished message, up to the bound. */
  #keep(piece: Uint8Array): void {
    if (this.#pending.length + piece.length > this.maxMessage) {
      this.error = `a message of more than ${sizeText(this.maxMessage)} without its end (0xAC)`;
      this.#pending.clear();
      this.#pendingEscape = false;
      return;
    }
    this.#pending.append(piece);
    if (!this.#pendingEscape && piece.indexOf(ESC) >= 0) this.#pendingEscape = true;
  }

  /** The pending start of a message and its end `head`, as one new message. */
  #joinPending(head: Uint8Array): Uint8Array {
    this.#pendingEscape = false;
    return this.#pending.take(head);
  }
}

export function sizeText(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${bytes} bytes`;
}

/**
 * The last `|`-field of a message (all of it without one): a notice's text after its `SERVER|host|…`
 * frame. Found without splitting, which a long message of bars makes costly.
 */
export function lastBarField(text: string): string {
  return text.slice(text.lastIndexOf("|") + 1);
}

export function capabilitiesMessage(capabilities: readonly string[]): string {
  return [".syn capabilities", ...capabilities].join(" ");
}

/** Capabilities from a `.syn capabilities …` message, or null for any other message. */
export function parseCapabilities(message: string): string[] | null {
  if (!message.startsWith(".syn capabilities")) return null;
  return message.slice(".syn capabilities".length).split(" ").filter((c) => c !== "");
}
