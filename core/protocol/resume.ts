/**
 * Lossless follow across reconnects (docs/protocol.md#resume), the wire side: the capability, the
 * two options of a `tail:` command and the position message.
 *
 * - `positions=v1` (only with `escape=ac`): after the lines of each batch of a followed file the
 *   server sends `.syn position <target> <dev> <ino> <offset> <mark> <path>` as a control message,
 *   the file's byte offset after the last line it sent; and one when it starts reading a file.
 * - `resume=<JSON>` (travels as `base64%…`, docs/protocol.md#options): where each file of the
 *   command's glob was, as the positions said; the server starts there instead of at the end.
 *
 * Positions are byte offsets, never line counts, so a resumed file repeats no line. `mark` is a
 * hash of the 64 bytes before the offset: the server tells a file that was truncated and grew
 * again, or replaced by one with a reused inode number, from the same file.
 */
import { ProtocolError } from "../errors.ts";

export const RESUME_CAPABILITY = "tail-resume-v1";
export const RESUME_OPTION = "resume";
export const POSITIONS_OPTION = "positions";
export const POSITIONS_VERSION = "v1";

/** The hidden message that carries a position (docs/protocol.md#hidden-messages). */
export const POSITION_PREFIX = ".syn position ";
/** How many bytes before an offset its mark covers (fewer at the start of a file). */
export const MARK_BYTES = 64;
/** Bounds of a resume request: entries, and the JSON text (the frame bounds it too). */
export const MAX_RESUME_ENTRIES = 10_000;
export const MAX_RESUME_TEXT = 1 << 20;
const MAX_PATH = 4096;

/** Where one followed file was: its identity and the offset after the last line delivered. */
export interface FilePosition {
  /** The followed path (for a rotated file being finished: the path it was followed as). */
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
  /** markOf the MARK_BYTES bytes before `offset`; absent in a request: not checked. */
  readonly mark?: string;
}

export class ResumeRequestError extends ProtocolError {
  override name = "ResumeRequestError";
}

/** The value of the `resume` option: `{"v":1,"files":[{path,dev,ino,offset,mark}…]}`. */
export function encodeResumeRequest(files: readonly FilePosition[]): string {
  return JSON.stringify({
    v: 1,
    files: files.map(({ path, dev, ino, offset, mark }) =>
      mark === undefined ? { path, dev, ino, offset } : { path, dev, ino, offset, mark }
    ),
  });
}

/** Reads the `resume` option; throws ResumeRequestError with a reason a client may be told. */
export function decodeResumeRequest(text: string): FilePosition[] {
  if (text.length > MAX_RESUME_TEXT) {
    throw new ResumeRequestError(`longer than ${MAX_RESUME_TEXT} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ResumeRequestError("not JSON");
  }
  if (!isObject(json) || json.v !== 1) throw new ResumeRequestError("not a version 1 request");
  const files = json.files;
  if (!Array.isArray(files)) throw new ResumeRequestError("no files list");
  if (files.length > MAX_RESUME_ENTRIES) {
    throw new ResumeRequestError(`more than ${MAX_RESUME_ENTRIES} files`);
  }
  return files.map((file, i) => decodeEntry(file, i));
}

function decodeEntry(file: unknown, i: number): FilePosition {
  const bad = (what: string) => new ResumeRequestError(`file ${i + 1}: ${what}`);
  if (!isObject(file)) throw bad("not an object");
  const { path, dev, ino, offset, mark } = file;
  if (typeof path !== "string" || path === "" || path.length > MAX_PATH || path.includes("\0")) {
    throw bad("invalid path");
  }
  if (!isCount(dev)) throw bad("invalid dev");
  if (!isCount(ino)) throw bad("invalid ino");
  if (!isCount(offset)) throw bad("invalid offset");
  if (mark !== undefined && (typeof mark !== "string" || !MARK.test(mark))) {
    throw bad("invalid mark");
  }
  const position = { path, dev: dev as number, ino: ino as number, offset: offset as number };
  return mark === undefined ? position : { ...position, mark };
}

/** `.syn position <target> <dev> <ino> <offset> <mark> <path>`: the path last, it may hold spaces. */
export function positionMessage(target: string, p: FilePosition): string {
  return `${POSITION_PREFIX}${target} ${p.dev} ${p.ino} ${p.offset} ${p.mark ?? ""} ${p.path}`;
}

/** The target (the command's file or glob) and the position of a position message, or null. */
export function parsePositionMessage(
  text: string,
): { target: string; position: FilePosition } | null {
  if (!text.startsWith(POSITION_PREFIX)) return null;
  const words = text.slice(POSITION_PREFIX.length).split(" ");
  if (words.length < 6) return null;
  const [target, dev, ino, offset, mark] = words as [string, string, string, string, string];
  const path = words.slice(5).join(" ");
  const numbers = [dev, ino, offset].map((w) => /^\d+$/.test(w) ? Number(w) : NaN);
  if (numbers.some((n) => !Number.isSafeInteger(n)) || !MARK.test(mark)) return null;
  if (target === "" || path === "") return null;
  const [d, i, o] = numbers as [number, number, number];
  return { target, position: { path, dev: d, ino: i, offset: o, mark } };
}

/** FNV-1a (32 bits) of the bytes, as 8 lowercase hex digits: the mark of an offset. */
export function markOf(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

const MARK = /^[0-9a-f]{8}$/;

/** A non-negative safe integer. */
function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
