/**
 * JSON strings on bytes, shared by the `json` and `logfmt` formats (a quoted logfmt value takes
 * the escapes of JSON): finding a string's end without decoding it, and decoding its escapes only
 * when a query wants the value.
 */
import { decodeRange } from "./line_fields.ts";

const QUOTE = 34;
const BACKSLASH = 92;
const U = 117;

/** Whether `c` may follow a backslash: `" \ / b f n r t u`. */
const ESCAPABLE = new Uint8Array(128);
for (const c of '"\\/bfnrtu') ESCAPABLE[c.charCodeAt(0)] = 1;

/** The characters of the one-letter escapes. */
const ESCAPED: Record<number, string> = {
  34: '"',
  92: "\\",
  47: "/",
  98: "\b",
  102: "\f",
  110: "\n",
  114: "\r",
  116: "\t",
};

/** The value of a hex digit byte, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The bytes that end a run of plain string bytes: `"`, `\\` and control characters. */
const SPECIAL = new Uint8Array(256);
for (let c = 0; c < 32; c++) SPECIAL[c] = 1;
SPECIAL[QUOTE] = 1;
SPECIAL[BACKSLASH] = 1;

/** A malformed string: not closed before `end`, a raw control character or a bad escape. */
export const BAD_STRING = -1;

/**
 * Scans the JSON string whose opening quote is `bytes[open]`, within `bytes[.., end)`. Returns the
 * index of its closing quote when it has no escape, `-2 - index` when it has one (see
 * `stringClose`), or BAD_STRING.
 */
export function scanString(bytes: Uint8Array, open: number, end: number): number {
  let i = open + 1;
  let escaped = false;
  for (;;) {
    while (i < end && SPECIAL[bytes[i]!] === 0) i++;
    if (i >= end) return BAD_STRING;
    const c = bytes[i]!;
    if (c === QUOTE) return escaped ? -2 - i : i;
    if (c === BACKSLASH) {
      if (i + 1 >= end) return BAD_STRING;
      const e = bytes[i + 1]!;
      if (e >= 128 || ESCAPABLE[e] === 0) return BAD_STRING;
      if (e === U) {
        if (i + 6 > end) return BAD_STRING;
        for (let k = i + 2; k < i + 6; k++) if (hexValue(bytes[k]!) < 0) return BAD_STRING;
        i += 6;
      } else i += 2;
      escaped = true;
      continue;
    }
    return BAD_STRING;
  }
}

/** The closing quote of a string `scanString` found (its result other than BAD_STRING). */
export function stringClose(scanned: number): number {
  return scanned >= 0 ? scanned : -2 - scanned;
}

/**
 * The text of the string body `bytes[start, end)` (between the quotes) that `scanString` found
 * well-formed, escapes decoded. `\uXXXX` gives one UTF-16 unit, so a surrogate pair written as two
 * escapes makes its one character (a lone surrogate stays one, as JSON.parse keeps it).
 */
export function unescapeString(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  let run = start;
  let i = start;
  while (i < end) {
    if (bytes[i] !== BACKSLASH) {
      i++;
      continue;
    }
    if (i > run) text += decodeRange(bytes, run, i);
    const e = bytes[i + 1]!;
    if (e === U) {
      let unit = 0;
      for (let k = i + 2; k < i + 6; k++) unit = unit * 16 + hexValue(bytes[k]!);
      text += String.fromCharCode(unit);
      i += 6;
    } else {
      text += ESCAPED[e] ?? "";
      i += 2;
    }
    run = i;
  }
  return run < end ? text + decodeRange(bytes, run, end) : text;
}
