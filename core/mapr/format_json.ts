/**
 * The `json` log format (docs/query-language.md#log-formats): one JSON object per line, read from
 * its bytes in one pass that checks the whole line and keeps only the members a query wants.
 *
 * A member is a field by its key; a member of a nested object by the dotted path of keys
 * (`req.status`). Strings give their text (escapes decoded only for wanted members), numbers their
 * text as written, booleans `true`/`false`; `null` leaves the field absent; an array or an object
 * gives its JSON text as written. `$time` is the top-level `time`, else `ts`, else `timestamp`, as
 * it is written. A blank line is skipped; any other line that is not one JSON object (nested at
 * most MAX_DEPTH deep) is malformed.
 */
import {
  COMMON_VARIABLES,
  lineEndFrom,
  LineParser,
  MALFORMED,
  type ParseCode,
  PARSED,
  setValue,
  SKIP,
} from "./format_common.ts";
import { FieldTargets, LONG, NO_TIME, timeRank } from "./field_targets.ts";
import { BAD_STRING, scanString, stringClose, unescapeString } from "./json_string.ts";
import { ABSENT, decodeRange, LineFields, spaceAfter } from "./line_fields.ts";

/** The `$` variables of `json` (members are barewords). */
export const JSON_VARIABLES: ReadonlySet<string> = new Set([...COMMON_VARIABLES, "$time"]);

/** Objects and arrays nested deeper than this make a line malformed (and bound the recursion). */
export const MAX_DEPTH = 64;

const NEWLINE = 10;
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const TRUE = [116, 114, 117, 101];
const FALSE = [102, 97, 108, 115, 101];
const NULL = [110, 117, 108, 108];

const encoder = new TextEncoder();
const NO_CANDIDATES = new Int32Array(0);

/** JSON white space within a line (a line end never is: lines are split at "\n"). */
function skipSpace(bytes: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c !== 32 && c !== 9 && c !== 13) break;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** The end of the JSON number at `bytes[i]`, or -1 when there is none. */
function numberEnd(bytes: Uint8Array, i: number, end: number): number {
  if (i < end && bytes[i] === MINUS) i++;
  if (i >= end || !isDigit(bytes[i]!)) return -1;
  if (bytes[i] === ZERO) i++;
  else while (i < end && isDigit(bytes[i]!)) i++;
  if (i < end && bytes[i] === DOT) {
    if (++i >= end || !isDigit(bytes[i]!)) return -1;
    while (i < end && isDigit(bytes[i]!)) i++;
  }
  if (i < end && (bytes[i]! | 0x20) === 101) { // e E
    i++;
    if (i < end && (bytes[i] === 43 || bytes[i] === MINUS)) i++;
    if (i >= end || !isDigit(bytes[i]!)) return -1;
    while (i < end && isDigit(bytes[i]!)) i++;
  }
  return i;
}

/** The end of the literal `word` at `bytes[i]`, or -1. */
function literalEnd(bytes: Uint8Array, i: number, end: number, word: readonly number[]): number {
  if (end - i < word.length) return -1;
  for (let k = 0; k < word.length; k++) if (bytes[i + k] !== word[k]) return -1;
  return i + word.length;
}

/** Reads the wanted members of one JSON object into a LineFields. */
export class JsonReader {
  /** Where the last `readObject` stopped: after the object, or where it found it malformed. */
  pos = 0;
  readonly #targets: FieldTargets;
  #fields = new LineFields();
  #bytes: Uint8Array = new Uint8Array(0);
  #end = 0;
  /** The rank of the key `$time` came from on this line (field_targets.ts). */
  #timeRank = NO_TIME;
  /** Per depth, the targets whose path goes on below the key being read. */
  readonly #candidates: Int32Array[] = [];

  constructor(needed: ReadonlySet<string> | null) {
    this.#targets = new FieldTargets(needed);
    const all = Int32Array.from(this.#targets.paths, (_, i) => i);
    this.#candidates.push(all);
  }

  /**
   * Reads the trimmed line `bytes[start, end)`: blank is SKIP, one JSON object PARSED (its wanted
   * members in `fields`), anything else MALFORMED.
   */
  readLine(fields: LineFields, bytes: Uint8Array, start: number, end: number): ParseCode {
    if (start === end) return SKIP;
    if (bytes[start] !== OPEN_BRACE || !this.readObject(fields, bytes, start, end)) {
      return MALFORMED;
    }
    return skipSpace(bytes, this.pos, end) === end ? PARSED : MALFORMED;
  }

  /**
   * Reads the object whose `{` is `bytes[start]` (within `bytes[.., end)`), setting `pos` after
   * it. False when it is malformed (fields set so far stay).
   */
  readObject(fields: LineFields, bytes: Uint8Array, start: number, end: number): boolean {
    const targets = this.#targets;
    targets.bind(fields);
    this.#fields = fields;
    this.#bytes = bytes;
    this.#end = end;
    this.#timeRank = NO_TIME;
    this.pos = start;
    if (targets.all) return this.#object(0, NO_CANDIDATES, 0, 0, "");
    return this.#object(0, this.#candidates[0]!, this.#candidates[0]!.length, 0, null);
  }

  /**
   * The object at `pos`. `candidates[0, count)` are the targets whose path starts with the keys
   * above it, `prefix` bytes long with its dot; `prefixText` is that path when every key is
   * wanted, else null.
   */
  #object(
    depth: number,
    candidates: Int32Array,
    count: number,
    prefix: number,
    prefixText: string | null,
  ): boolean {
    if (depth >= MAX_DEPTH) return false;
    const bytes = this.#bytes;
    const end = this.#end;
    let i = skipSpace(bytes, this.pos + 1, end);
    if (i < end && bytes[i] === CLOSE_BRACE) {
      this.pos = i + 1;
      return true;
    }
    const next = count > 0 ? this.#nextCandidates(depth + 1) : NO_CANDIDATES;
    const paths = this.#targets.paths;
    const ends = this.#targets.ends;
    for (;;) {
      if (i >= end || bytes[i] !== QUOTE) return false;
      const scanned = scanString(bytes, i, end);
      if (scanned === BAD_STRING) return false;
      const keyStart = i + 1;
      const keyEnd = stringClose(scanned);
      i = keyEnd + 1;
      if (i < end && bytes[i] !== COLON) i = skipSpace(bytes, i, end);
      if (i >= end || bytes[i] !== COLON) return false;
      if (++i < end && bytes[i]! <= 32) i = skipSpace(bytes, i, end);
      if (i >= end) return false;
      // What the key is: a wanted field (slot, $time rank), and which targets go on below it.
      let slot = -1;
      let rank = 0;
      let nextCount = 0;
      let keyLength = 0;
      let path: string | null = null;
      if (prefixText !== null) {
        const key = scanned >= 0
          ? decodeRange(bytes, keyStart, keyEnd)
          : unescapeString(bytes, keyStart, keyEnd);
        path = prefixText + key;
        if (!key.startsWith("$")) slot = this.#fields.slot(path);
        if (depth === 0) rank = timeRank(key);
      } else if (count > 0) {
        // A key of a length no target path has, to its end or to a dot, is none of them (an
        // escaped key may be shorter once decoded: it is compared).
        const rawLength = prefix + keyEnd - keyStart;
        if (scanned < 0 || ends[rawLength < LONG ? rawLength : LONG] !== 0) {
          let keyBytes = bytes;
          let ks = keyStart;
          if (scanned < 0) {
            keyBytes = encoder.encode(unescapeString(bytes, keyStart, keyEnd));
            ks = 0;
            keyLength = keyBytes.length;
          } else keyLength = keyEnd - keyStart;
          const length = prefix + keyLength;
          for (let c = 0; c < count; c++) {
            const t = candidates[c]!;
            const target = paths[t]!;
            if (target.length < length) continue;
            let j = 0;
            while (j < keyLength && target[prefix + j] === keyBytes[ks + j]) j++;
            if (j < keyLength) continue;
            if (target.length === length) {
              slot = this.#targets.slots[t]!;
              rank = this.#targets.timeRanks[t]!;
            } else if (target[length] === DOT) next[nextCount++] = t;
          }
        }
      }
      // The value.
      this.pos = i;
      const c = bytes[i]!;
      if (c === QUOTE) {
        const value = scanString(bytes, i, end);
        if (value === BAD_STRING) return false;
        const close = stringClose(value);
        if (slot >= 0 || rank > 0) this.#set(slot, rank, i + 1, close, value < 0);
        i = close + 1;
      } else if (c === OPEN_BRACE) {
        const ok = path !== null
          ? this.#object(depth + 1, NO_CANDIDATES, 0, 0, path + ".")
          : this.#object(depth + 1, next, nextCount, prefix + keyLength + 1, null);
        if (!ok) return false;
        if (slot >= 0 || rank > 0) this.#set(slot, rank, i, this.pos, false);
        i = this.pos;
      } else if (c === MINUS || isDigit(c)) {
        const after = numberEnd(bytes, i, end);
        if (after < 0) return false;
        if (slot >= 0 || rank > 0) this.#set(slot, rank, i, after, false);
        i = after;
      } else {
        if (!this.#value(depth + 1)) return false;
        if (c === 110) { // null
          if (slot >= 0) this.#fields.kinds[slot] = ABSENT;
        } else if (slot >= 0 || rank > 0) this.#set(slot, rank, i, this.pos, false);
        i = this.pos;
      }
      if (i < end && bytes[i]! <= 32) i = skipSpace(bytes, i, end);
      if (i >= end) return false;
      const after = bytes[i];
      if (after === COMMA) {
        if (++i < end && bytes[i]! <= 32) i = skipSpace(bytes, i, end);
        continue;
      }
      if (after !== CLOSE_BRACE) return false;
      this.pos = i + 1;
      return true;
    }
  }

  /** Any JSON value at `pos`, checked and passed over. */
  #value(depth: number): boolean {
    const bytes = this.#bytes;
    const end = this.#end;
    const i = this.pos;
    const c = bytes[i]!;
    let after: number;
    if (c === QUOTE) {
      const scanned = scanString(bytes, i, end);
      if (scanned === BAD_STRING) return false;
      after = stringClose(scanned) + 1;
    } else if (c === OPEN_BRACE) return this.#object(depth, NO_CANDIDATES, 0, 0, null);
    else if (c === OPEN_BRACKET) return this.#array(depth);
    else if (c === 116) after = literalEnd(bytes, i, end, TRUE);
    else if (c === 102) after = literalEnd(bytes, i, end, FALSE);
    else if (c === 110) after = literalEnd(bytes, i, end, NULL);
    else after = numberEnd(bytes, i, end);
    if (after < 0) return false;
    this.pos = after;
    return true;
  }

  /** The array at `pos`, checked and passed over. */
  #array(depth: number): boolean {
    if (depth >= MAX_DEPTH) return false;
    const bytes = this.#bytes;
    const end = this.#end;
    let i = skipSpace(bytes, this.pos + 1, end);
    if (i < end && bytes[i] === CLOSE_BRACKET) {
      this.pos = i + 1;
      return true;
    }
    for (;;) {
      if (i >= end) return false;
      this.pos = i;
      if (!this.#value(depth + 1)) return false;
      i = skipSpace(bytes, this.pos, end);
      if (i >= end) return false;
      const after = bytes[i];
      if (after === COMMA) {
        i = skipSpace(bytes, i + 1, end);
        continue;
      }
      if (after !== CLOSE_BRACKET) return false;
      this.pos = i + 1;
      return true;
    }
  }

  /** Sets the field `slot` (-1: none) and `$time` (rank 0: not a source) to `bytes[start, end)`. */
  #set(slot: number, rank: number, start: number, end: number, escaped: boolean): void {
    const fields = this.#fields;
    const time = rank > 0 && rank <= this.#timeRank ? this.#targets.timeSlot : -1;
    if (time >= 0) this.#timeRank = rank;
    setValue(fields, slot, time, this.#bytes, start, end, escaped);
  }

  /** The candidate list of `depth`, made on first use. */
  #nextCandidates(depth: number): Int32Array {
    const lists = this.#candidates;
    while (lists.length <= depth) lists.push(new Int32Array(this.#targets.paths.length));
    return lists[depth]!;
  }
}

/** Parses one JSON object per line. */
export class JsonParser extends LineParser {
  readonly #reader = new JsonReader(this.needed);

  /** One pass over a line of a region: the object read and the line's end found together. */
  override parseLineAt(
    bytes: Uint8Array,
    start: number,
    end: number,
    _sourceId: string,
    text: string | null,
  ): ParseCode {
    start = this.beginLineAt(bytes, start, end, text);
    if (start < 0) return SKIP;
    const fields = this.fields;
    const reader = this.#reader;
    if (bytes[start] !== OPEN_BRACE) {
      this.lineEnd = lineEndFrom(bytes, start, end);
      return MALFORMED;
    }
    if (!reader.readObject(fields, bytes, start, end)) {
      // Nothing the reader passed over is a line end.
      this.lineEnd = lineEndFrom(bytes, reader.pos, end);
      return MALFORMED;
    }
    const stop = reader.pos;
    let pos = stop;
    for (let n = 0; pos < end && bytes[pos] !== NEWLINE; pos += n) {
      if ((n = spaceAfter(bytes, pos, end)) === 0) {
        this.lineEnd = lineEndFrom(bytes, pos, end);
        return MALFORMED;
      }
    }
    this.lineEnd = pos;
    if (this.lineSlot >= 0) fields.setBytes(this.lineSlot, bytes, start, stop);
    return PARSED;
  }

  protected parseLine(bytes: Uint8Array, start: number, end: number): ParseCode {
    return this.#reader.readLine(this.fields, bytes, start, end);
  }
}
