/**
 * Client → server framing (docs/protocol.md#frames): `protocol 4.1 base64 <BASE64(command)>;`. The
 * server splits a frame on single spaces and dispatches on every ";".
 */
import { ProtocolError } from "../errors.ts";
import { PendingBytes } from "../pending_bytes.ts";

export const PROTOCOL_VERSION = "4.1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FrameError extends ProtocolError {
  override name = "FrameError";
}

/** Encodes one command as a frame. */
export function encodeFrame(command: string, version = PROTOCOL_VERSION): Uint8Array {
  return encoder.encode(`protocol ${version} base64 ${toBase64(encoder.encode(command))};`);
}

/**
 * Decodes the text of one frame (without its ";") into the command text. Throws FrameError with
 * the exact Go DTail wording for a missing prefix, a version mismatch and bad base64.
 */
export function decodeFrame(frame: string): string {
  const tokens = frame.split(" ");
  if (tokens[0] !== "protocol" || tokens.length < 2) {
    throw new FrameError("unable to determine protocol version");
  }
  const version = tokens[1]!;
  if (version !== PROTOCOL_VERSION) throw new FrameError(versionMismatch(version));
  if (tokens.length !== 4 || tokens[2] !== "base64") {
    throw new FrameError(
      "unable to decode client message, DTail server and client versions may not be compatible",
    );
  }
  try {
    return decoder.decode(fromBase64(tokens[3]!));
  } catch {
    throw new FrameError(
      "unable to decode client message, DTail server and client versions may not be compatible",
    );
  }
}

/**
 * The docs/protocol.md#frames version-mismatch text: "server" when the client is newer, else
 * "client".
 */
export function versionMismatch(clientVersion: string): string {
  const newer = compareVersions(clientVersion, PROTOCOL_VERSION) > 0;
  const text = `the DTail server protocol version '${PROTOCOL_VERSION}' does not match client ` +
    `protocol version '${clientVersion}', please update DTail ${newer ? "server" : "client"}`;
  const major = Number.parseInt(clientVersion, 10);
  return Number.isFinite(major) && major <= 3 ? text + "\n" : text;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 2; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Splits the client's byte stream into frames at ";". A frame longer than `maxFrameSize` is a
 * protocol violation (the session is closed): it throws at once, with at most `maxFrameSize`
 * bytes buffered. Only the new bytes of each push are scanned, so a frame that arrives one byte
 * per read costs linear time.
 */
export class FrameReader {
  /** The unfinished frame's bytes; a big buffer is let go once its frame is complete. */
  readonly #pending = new PendingBytes(KEEP_BUFFER);

  constructor(readonly maxFrameSize: number) {}

  /** Returns the complete frames in `bytes` (their text, without ";"). */
  push(bytes: Uint8Array): string[] {
    const frames: string[] = [];
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(SEMICOLON, start);
      const piece = bytes.subarray(start, end < 0 ? bytes.length : end);
      if (this.#pending.length + piece.length > this.maxFrameSize) {
        this.#pending.clear();
        throw new FrameError(`command frame larger than ${this.maxFrameSize} bytes`);
      }
      if (end < 0) {
        this.#pending.append(piece);
        return frames;
      }
      if (this.#pending.length === 0) frames.push(latin1(piece));
      else {
        this.#pending.append(piece);
        frames.push(latin1(this.#pending.view()));
        this.#pending.clear();
      }
      start = end + 1;
    }
  }
}

const SEMICOLON = 0x3b;
/** A frame buffer larger than this is dropped once its frame is complete. */
const KEEP_BUFFER = 65536;

/**
 * Frames are ASCII (base64), so a byte-wise latin1 view never splits a character. The decoder
 * called "latin1" is windows-1252, which differs in 0x80–0x9F (27 of them become characters
 * above U+00FF): its quick answer is kept only when it has none of those.
 */
function latin1(bytes: Uint8Array): string {
  const quick = latin1Decoder.decode(bytes);
  return NOT_LATIN1.test(quick) ? latin1Bytewise(bytes) : quick;
}

const latin1Decoder = new TextDecoder("latin1");
const NOT_LATIN1 = /[\u0100-\uffff]/;

function latin1Bytewise(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

// V8's own base64, not btoa/atob: their first call loads a module of Deno's (~3 ms of a client's
// start-up).
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Decodes as atob does: ASCII white space skipped, padding optional; throws on anything else. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.fromBase64(text);
}
