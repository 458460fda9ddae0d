/**
 * The `logfmt` log format (docs/query-language.md#log-formats): `key=value key="quoted value"`
 * pairs separated by white space, read from the line's bytes; only the keys a query wants are kept.
 *
 * A key runs to `=`, `"` or white space. An unquoted value runs to the next white space (it may
 * hold `=` and `"`); a quoted one takes JSON's escapes and must be followed by white space or the
 * end of the line. A bare key (no `=`) is `true`, `key=` the empty text. `$time` is `time`, else
 * `ts`, else `timestamp`. A blank line is skipped; a line without any `key=value`, with an
 * unclosed or badly escaped quote, or with `=` or `"` where a key should start is malformed.
 */
import {
  COMMON_VARIABLES,
  LineParser,
  MALFORMED,
  type ParseCode,
  PARSED,
  setValue,
  SKIP,
} from "./format_common.ts";
import { FieldTargets, NO_TIME, timeRank } from "./field_targets.ts";
import { BAD_STRING, scanString, stringClose } from "./json_string.ts";
import { decodeRange, type LineFields } from "./line_fields.ts";

/** The `$` variables of `logfmt` (keys are barewords). */
export const LOGFMT_VARIABLES: ReadonlySet<string> = new Set([...COMMON_VARIABLES, "$time"]);

const NEWLINE = 10;
const QUOTE = 34;
const EQUALS = 61;
/** The value of a bare key. */
const BARE = "true";

/** Reads the wanted pairs of a logfmt line into a LineFields. */
export class LogfmtReader {
  readonly #targets: FieldTargets;
  #fields: LineFields | null = null;
  #bytes: Uint8Array = new Uint8Array(0);
  #timeRank = NO_TIME;

  constructor(needed: ReadonlySet<string> | null) {
    this.#targets = new FieldTargets(needed);
  }

  /**
   * Reads the line that starts at the non-blank `bytes[start]` and ends at the first "\n" in
   * `bytes[start, end)` or at `end` (see the file comment for what is malformed). Sets `pos` (the
   * line's end, or where it was found malformed) and `lastEnd` (the end of its last word).
   */
  readLine(fields: LineFields, bytes: Uint8Array, start: number, end: number): ParseCode {
    const targets = this.#targets;
    targets.bind(fields);
    this.#fields = fields;
    this.#bytes = bytes;
    this.#timeRank = NO_TIME;
    const none = targets.none;
    const all = targets.all;
    let pairs = 0;
    let i = start;
    while (i < end) {
      let c = bytes[i]!;
      if (c <= 32) {
        if (c === NEWLINE) break;
        i++;
        continue;
      }
      const keyStart = i;
      while (c > 32 && c !== EQUALS && c !== QUOTE && ++i < end) c = bytes[i]!;
      this.pos = i;
      if (i === keyStart) return MALFORMED;
      const keyEnd = i;
      // The key's slot and $time rank.
      let slot = -1;
      let rank = 0;
      if (all) {
        const key = decodeRange(bytes, keyStart, keyEnd);
        if (!key.startsWith("$")) slot = fields.slot(key);
        rank = timeRank(key);
      } else if (!none) {
        const t = targets.find(bytes, keyStart, keyEnd);
        if (t >= 0) {
          slot = targets.slots[t]!;
          rank = targets.timeRanks[t]!;
        }
      }
      if (i === end || c <= 32) {
        if (slot >= 0) fields.setText(slot, BARE);
        this.lastEnd = i;
        continue;
      }
      if (c === QUOTE) return MALFORMED;
      pairs++;
      i++;
      if (i < end && bytes[i] === QUOTE) {
        const scanned = scanString(bytes, i, end);
        if (scanned === BAD_STRING) return MALFORMED;
        const close = stringClose(scanned);
        this.pos = close + 1;
        if (close + 1 < end && bytes[close + 1]! > 32) return MALFORMED;
        if (slot >= 0 || rank > 0) this.#set(slot, rank, i + 1, close, scanned < 0);
        i = close + 1;
      } else {
        const valueStart = i;
        while (i < end && bytes[i]! > 32) i++;
        if (slot >= 0 || rank > 0) this.#set(slot, rank, valueStart, i, false);
      }
      this.lastEnd = i;
    }
    this.pos = i;
    return pairs > 0 ? PARSED : MALFORMED;
  }

  /** Where the last `readLine` stopped: the line's end, or where it found the line malformed. */
  pos = 0;
  /** The end of the last word `readLine` read. */
  lastEnd = 0;

  /** Sets the field `slot` (-1: none) and `$time` (rank 0: not a source) to `bytes[start, end)`. */
  #set(slot: number, rank: number, start: number, end: number, escaped: boolean): void {
    const fields = this.#fields!;
    const time = rank > 0 && rank <= this.#timeRank ? this.#targets.timeSlot : -1;
    if (time >= 0) this.#timeRank = rank;
    setValue(fields, slot, time, this.#bytes, start, end, escaped);
  }
}

/** Parses logfmt lines. */
export class LogfmtParser extends LineParser {
  readonly #reader = new LogfmtReader(this.needed);

  /**
   * One pass over a line of a region: its pairs and its end found together. A malformed line, or
   * one whose last word may end in white space String.prototype.trim removes (a byte over 0x7f),
   * is read again as the trimmed line (LineParser.parseLineAt), so both give the same.
   */
  override parseLineAt(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): ParseCode {
    const lineStart = start;
    start = this.beginLineAt(bytes, start, end, text);
    if (start < 0) return SKIP;
    const fields = this.fields;
    const reader = this.#reader;
    reader.lastEnd = start;
    const code = reader.readLine(fields, bytes, start, end);
    const last = reader.lastEnd;
    if (code === MALFORMED || bytes[last - 1]! >= 0x80) {
      return super.parseLineAt(bytes, lineStart, end, sourceId, text);
    }
    this.lineEnd = reader.pos;
    if (this.lineSlot >= 0) fields.setBytes(this.lineSlot, bytes, start, last);
    return PARSED;
  }

  protected parseLine(bytes: Uint8Array, start: number, end: number): ParseCode {
    if (start === end) return SKIP;
    return this.#reader.readLine(this.fields, bytes, start, end);
  }
}
