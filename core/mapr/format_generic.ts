/**
 * The `generic` format (docs/query-language.md#log-formats: any line, common fields only) and
 * `generickv` (common fields plus every `|`-separated token containing `=`, split at the first `=`;
 * other tokens are ignored).
 */

import { COMMON_VARIABLES, CommonFields, trimLine, type Zone } from "./format_common.ts";
import { KeyValues } from "./format_kv.ts";
import type { LogParser, ParseResult } from "./types.ts";

/** The `$` variables of `generic` and `generickv`. */
export const GENERIC_VARIABLES: ReadonlySet<string> = COMMON_VARIABLES;

/** Accepts every line; yields the common fields only. */
export class GenericParser implements LogParser {
  readonly #common: CommonFields;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone, reuse = false) {
    this.#common = new CommonFields(hostname, needed, zone, reuse);
  }

  parse(raw: string, _sourceId: string): ParseResult {
    return this.#common.create(trimLine(raw));
  }
}

/** Accepts every line; yields the common fields and its `k=v` tokens. */
export class GenericKvParser implements LogParser {
  readonly #common: CommonFields;
  readonly #kv: KeyValues;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone?: Zone, reuse = false) {
    this.#common = new CommonFields(hostname, needed, zone, reuse);
    this.#kv = new KeyValues(needed);
  }

  parse(raw: string, _sourceId: string): ParseResult {
    const line = trimLine(raw);
    const fields = this.#common.create(line);
    if (!this.#kv.none) this.#kv.add(fields, line, 0, false);
    return fields;
  }
}
