/**
 * The `auto` log format (docs/query-language.md#log-formats): each line by the look of its start.
 * A line whose first byte (after white space) is `{` is `json`; one that starts with a key and `=`
 * (bytes other than white space, `=`, `"` and `|`, then `=`) is `logfmt`; any other is `default`
 * (DTail's own lines; others are skipped silently). Malformed `json` and `logfmt` lines are
 * counted as in their own formats.
 */
import { DEFAULT_VARIABLES, DefaultParser } from "./format_default.ts";
import { LineParser, type ParseCode, PARSED, type Zone } from "./format_common.ts";
import { JsonReader } from "./format_json.ts";
import { LogfmtReader } from "./format_logfmt.ts";
import { BYTES, type LineFields, TEXT } from "./line_fields.ts";

/** The `$` variables of `auto`: those of `default`, which has every one `json` and `logfmt` have. */
export const AUTO_VARIABLES: ReadonlySet<string> = DEFAULT_VARIABLES;

const QUOTE = 34;
const EQUALS = 61;
const BAR = 124;
const OPEN_BRACE = 123;

/** The fields every parser sets itself (format_common.ts): not copied from the default parser's. */
const OWN = new Set(["*", "$empty", "$hostname", "$server", "$timezone", "$timeoffset", "$line"]);

/** Whether the trimmed line `bytes[start, end)` starts with `key=` as `auto` takes logfmt. */
export function looksLikeLogfmt(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  for (; i < end; i++) {
    const c = bytes[i]!;
    if (c <= 32 || c === QUOTE || c === BAR) return false;
    if (c === EQUALS) break;
  }
  return i > start && i < end;
}

/** Parses each line as `json`, `logfmt` or `default` (see the file comment). */
export class AutoParser extends LineParser {
  readonly #json: JsonReader;
  readonly #logfmt: LogfmtReader;
  readonly #default: DefaultParser;
  /** The names copied from the default parser's fields: null when every name is wanted. */
  readonly #copied: readonly string[] | null;
  /** Per copied name, its slot in the default parser's fields (-1: not known yet) and in ours. */
  readonly #from: Int32Array;
  readonly #to: Int32Array;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone) {
    super(hostname, needed, zone);
    this.#json = new JsonReader(needed);
    this.#logfmt = new LogfmtReader(needed);
    // Its zone fields are never copied (ours are): a fixed zone spares it asking Intl.
    this.#default = new DefaultParser(hostname, needed, { name: "UTC", offset: 0 });
    this.#copied = needed === null ? null : [...needed].filter((n) => !OWN.has(n));
    const copied = this.#copied ?? [];
    this.#from = new Int32Array(copied.length).fill(-1);
    this.#to = Int32Array.from(copied, (name) => this.fields.slot(name));
  }

  protected parseLine(
    bytes: Uint8Array,
    start: number,
    end: number,
    sourceId: string,
    text: string | null,
  ): ParseCode {
    if (start < end && bytes[start] === OPEN_BRACE) {
      return this.#json.readLine(this.fields, bytes, start, end);
    }
    if (looksLikeLogfmt(bytes, start, end)) {
      return this.#logfmt.readLine(this.fields, bytes, start, end);
    }
    const code = this.#default.parseBytes(bytes, start, end, sourceId, text);
    if (code === PARSED) this.#copyDefault();
    return code;
  }

  /** The default parser's fields into ours (but the common ones, which are ours already). */
  #copyDefault(): void {
    const source = this.#default.fields;
    const copied = this.#copied;
    if (copied === null) {
      for (const [name, value] of source.toMap()) if (!OWN.has(name)) this.fields.set(name, value);
      return;
    }
    const from = this.#from;
    const to = this.#to;
    for (let i = 0; i < copied.length; i++) {
      let s = from[i]!;
      if (s < 0) s = from[i] = source.slotOf(copied[i]!);
      if (s >= 0) copySlot(source, s, this.fields, to[i]!);
    }
  }
}

/** Copies slot `s` of `source` to slot `d` of `target`; an absent one stays absent. */
function copySlot(source: LineFields, s: number, target: LineFields, d: number): void {
  const kind = source.kinds[s]!;
  if (kind & BYTES) target.setBytes(d, source.sources[s]!, source.starts[s]!, source.ends[s]!);
  else if (kind === TEXT) target.setText(d, source.texts[s]!);
}
