/**
 * journalctl writes lines of its own among the entries on stdout: `-- No entries --`, `-- Boot
 * <id> --`, `-- Logs begin at …, end at …. --` (older versions), `-- Journal begins at … --`. They
 * are not log lines: a grep must not select them and a MapReduce must not count them. Entries in
 * journalctl's default output start with their time stamp (continuation lines with spaces), so a
 * line of the form `-- … --` is always one of journalctl's own.
 */
import { concatBytes } from "./bytes.ts";

/** A line longer than this is never held back as a possible marker. */
const MAX_MARKER = 4096;
const DASH = 0x2d;
const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;

/** Removes journalctl's marker lines from its stdout, chunk by chunk (one per journalctl run). */
export class MarkerFilter {
  /** The start of a line that may be a marker, its end not yet seen. */
  #held: Uint8Array | null = null;
  #atLineStart = true;

  /** What of `chunk` (and of what was held before it) to pass on; may be empty. */
  push(chunk: Uint8Array): Uint8Array {
    const buf = this.#held === null ? chunk : concat([this.#held, chunk]);
    this.#held = null;
    const kept: Uint8Array[] = [];
    let keepFrom = 0;
    let i = 0;
    if (!this.#atLineStart) {
      const nl = buf.indexOf(LF);
      if (nl < 0) return buf;
      i = nl + 1;
    }
    this.#atLineStart = true;
    while (i < buf.length) {
      const nl = buf.indexOf(LF, i);
      if (nl < 0) {
        if (buf[i] === DASH && buf.length - i < MAX_MARKER && startsLikeMarker(buf, i)) {
          this.#held = buf.slice(i);
          kept.push(buf.subarray(keepFrom, i));
          return concat(kept);
        }
        this.#atLineStart = false;
        break;
      }
      if (buf[i] === DASH && isMarker(buf, i, nl)) {
        kept.push(buf.subarray(keepFrom, i));
        keepFrom = nl + 1;
      }
      i = nl + 1;
    }
    if (keepFrom === 0) return buf;
    kept.push(buf.subarray(keepFrom));
    return concat(kept);
  }

  /** At the end of journalctl's output: an unterminated last line that was held back. */
  end(): Uint8Array {
    const held = this.#held;
    this.#held = null;
    if (held === null || isMarker(held, 0, held.length)) return new Uint8Array(0);
    return held;
  }
}

/** Whether the line `buf[start, end)` (its newline excluded) is `-- … --`, CR or not. */
function isMarker(buf: Uint8Array, start: number, end: number): boolean {
  if (end > start && buf[end - 1] === CR) end--;
  return end - start >= 7 && buf[start] === DASH && buf[start + 1] === DASH &&
    buf[start + 2] === SPACE && buf[end - 3] === SPACE && buf[end - 2] === DASH &&
    buf[end - 1] === DASH;
}

/** Whether the unterminated rest of `buf` from `start` can still become a marker. */
function startsLikeMarker(buf: Uint8Array, start: number): boolean {
  const prefix = [DASH, DASH, SPACE];
  for (let k = 0; k < prefix.length && start + k < buf.length; k++) {
    if (buf[start + k] !== prefix[k]) return false;
  }
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
}
