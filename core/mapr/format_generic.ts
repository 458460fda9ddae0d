/**
 * The `generic` format (docs/query-language.md#log-formats: any line, common fields only) and
 * `generickv` (common fields plus every `|`-separated token containing `=`, split at the first `=`;
 * other tokens are ignored).
 */

import {
  COMMON_VARIABLES,
  LineParser,
  newlineEntry,
  type ParseCode,
  PARSED,
  type Zone,
} from "./format_common.ts";
import { KeyValues } from "./format_kv.ts";

/** The `$` variables of `generic` and `generickv`. */
export const GENERIC_VARIABLES: ReadonlySet<string> = COMMON_VARIABLES;

/** Accepts every line; yields the common fields only. */
export class GenericParser extends LineParser {
  protected parseLine(): ParseCode {
    return PARSED;
  }
}

/** Accepts every line; yields the common fields and its `k=v` tokens. */
export class GenericKvParser extends LineParser {
  readonly #kv: KeyValues;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone) {
    super(hostname, needed, zone);
    this.#kv = new KeyValues(needed);
  }

  protected parseLine(bytes: Uint8Array, start: number, end: number): ParseCode {
    if (!this.#kv.none) this.#kv.add(this.fields, bytes, start, end, false);
    return PARSED;
  }

  override get indexed(): boolean {
    return !this.#kv.none;
  }

  override parseLineIndexed(
    bytes: Uint8Array,
    start: number,
    end: number,
    text: string | null,
    seps: Int32Array,
    k: number,
    n: number,
  ): ParseCode {
    const newlineAt = newlineEntry(bytes, seps, k, n);
    const newline = newlineAt < n ? seps[newlineAt]! : end;
    this.lineEnd = newline;
    this.nextSep = newlineAt < n ? newlineAt + 1 : n;
    const stop = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline;
    const bounds = this.trimmed(bytes, start, stop, text);
    // Trimmed white space holds no separator: every entry up to the "\n" is within the line.
    this.#kv.addListed(this.fields, bytes, bounds[0]!, bounds[1]!, seps, k, newlineAt);
    return PARSED;
  }
}
