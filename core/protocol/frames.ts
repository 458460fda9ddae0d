/**
 * Client → server framing (§3.2): `protocol 4.1 base64 <BASE64(command)>;`. The server splits a
 * frame on single spaces and dispatches on every ";".
 */

export const PROTOCOL_VERSION = "4.1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class FrameError extends Error {
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

/** The §3.2 version-mismatch text: "server" when the client is newer, else "client". */
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
 * protocol violation (the session is closed).
 */
export class FrameReader {
  #pending = "";

  constructor(readonly maxFrameSize: number) {}

  /** Returns the complete frames in `bytes` (their text, without ";"). */
  push(bytes: Uint8Array): string[] {
    // Frames are ASCII (base64), so a byte-wise latin1 view never splits a character.
    let text = this.#pending;
    for (let i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    }
    const parts = text.split(";");
    this.#pending = parts.pop()!;
    if (this.#pending.length > this.maxFrameSize) {
      throw new FrameError(`command frame larger than ${this.maxFrameSize} bytes`);
    }
    for (const p of parts) {
      if (p.length > this.maxFrameSize) {
        throw new FrameError(`command frame larger than ${this.maxFrameSize} bytes`);
      }
    }
    return parts;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
