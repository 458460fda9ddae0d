/**
 * A log line's text in labelled output, which is for people at a terminal: control characters
 * that a terminal would act on are written visibly, as clip.ts's escapeControls writes them
 * (`\r`, `\xNN`), so that a line from a server cannot set the window title, move the cursor,
 * clear the screen, write the clipboard or overwrite the label before it. Kept as they are: tab;
 * SGR sequences (`ESC [ 1;31 m`), so that an application's colored log keeps its colors; a CR
 * that ends the line (a CRLF file). `--plain` output is not changed (docs/decisions.md).
 */
import { controlName } from "./clip.ts";
import type { BufferedOutput } from "./output.ts";

const TAB = 0x09;
const CR = 0x0d;
const ESC = 0x1b;
const DEL = 0x7f;
/** The first byte of U+0080–U+00BF in UTF-8; U+0080–U+009F are the C1 controls. */
const C2 = 0xc2;
/** The longest SGR sequence kept (`ESC [` parameters `m`); a longer one is shown. */
const MAX_SGR = 64;

/**
 * Where in `b[start, end)` the first byte is that writeVisible may change, or -1: C0 controls but
 * tab, DEL, and 0xC2 (the lead byte of C1 controls in UTF-8). Four bytes at a time.
 */
export function firstControl(b: Uint8Array, start: number, end: number): number {
  let i = start;
  const aligned = Math.min(end, (b.byteOffset + i + 3 & ~3) - b.byteOffset);
  for (; i < aligned; i++) if (suspect(b[i]!)) return i;
  const words = wordsOf(b.buffer);
  const first = (b.byteOffset + i) >> 2;
  const stop = first + ((end - i) >> 2);
  for (let k = first; k < stop; k++) {
    const w = words[k]!;
    // Some byte < 0x20, some byte = 0x7F, or some byte >= 0x80: look at the four bytes.
    const x = w ^ 0x7f7f7f7f;
    if (((w - 0x20202020) & ~w | (x - 0x01010101) & ~x | w) & 0x80808080) {
      const at = k * 4 - b.byteOffset;
      for (let j = at; j < at + 4; j++) if (suspect(b[j]!)) return j;
    }
  }
  i += (stop - first) * 4;
  for (; i < end; i++) if (suspect(b[i]!)) return i;
  return -1;
}

let wordsFor: ArrayBufferLike | null = null;
let wordsView: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/** A 32-bit view of the whole buffer, kept for the next call on the same buffer. */
function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  if (buffer !== wordsFor || wordsView.byteLength !== (buffer.byteLength & ~3)) {
    wordsFor = buffer;
    wordsView = new Uint32Array(buffer, 0, buffer.byteLength >> 2);
  }
  return wordsView;
}

function suspect(c: number): boolean {
  return c < 0x20 ? c !== TAB : c === DEL || c === C2;
}

const encoder = new TextEncoder();
/** Each control character as escapeControls writes it, encoded once. */
const VISIBLE: Uint8Array[] = Array.from(
  { length: 0xa0 },
  (_, c) => encoder.encode(controlName(c)),
);

/** Writes `content` (a line without its newline) to `out` with its controls made visible. */
export function writeVisible(out: BufferedOutput, content: Uint8Array): void {
  let i = firstControl(content, 0, content.length);
  if (i < 0) {
    out.bytes(content);
    return;
  }
  let from = 0;
  const end = content.length;
  while (i >= 0) {
    const c = content[i]!;
    let skip = 1;
    let show = -1;
    if (c === C2) {
      const next = content[i + 1];
      if (next !== undefined && next >= 0x80 && next <= 0x9f) {
        show = next;
        skip = 2;
      }
    } else if (c === ESC) {
      const sgr = sgrLength(content, i);
      if (sgr > 0) skip = sgr;
      else show = ESC;
    } else if (!(c === CR && i === end - 1)) {
      show = c;
    }
    if (show >= 0) {
      out.bytes(content.subarray(from, i));
      out.bytes(VISIBLE[show]!);
      from = i + skip;
    }
    i = firstControl(content, i + skip, end);
  }
  out.bytes(content.subarray(from));
}

/** The length of the SGR sequence `ESC [ [0-9;:]* m` at `at`, or 0 when there is none. */
function sgrLength(b: Uint8Array, at: number): number {
  if (b[at + 1] !== 0x5b) return 0; // [
  const limit = Math.min(b.length, at + MAX_SGR);
  for (let i = at + 2; i < limit; i++) {
    const c = b[i]!;
    if (c === 0x6d) return i - at + 1; // m
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b || c === 0x3a)) return 0;
  }
  return 0;
}
