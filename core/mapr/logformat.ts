/**
 * Log-format parsers for MapReduce queries (docs/query-language.md#log-formats,
 * docs/query-language.md#unknown-variables): `default`, `generic`, `generickv`, `csv`, `json`,
 * `logfmt` and `auto`. Any other
 * name (including Go DTail's `custom1`, `custom2`, `mimecast` and `mimecastgeneric`) falls back to
 * `generic` with one warning.
 */

import { AUTO_VARIABLES, AutoParser } from "./format_auto.ts";
import { CSV_VARIABLES, CsvParser } from "./format_csv.ts";
import { DEFAULT_VARIABLES, DefaultParser } from "./format_default.ts";
import { GENERIC_VARIABLES, GenericKvParser, GenericParser } from "./format_generic.ts";
import { JSON_VARIABLES, JsonParser } from "./format_json.ts";
import { LOGFMT_VARIABLES, LogfmtParser } from "./format_logfmt.ts";
import type { LineParser } from "./format_common.ts";

export interface ParserOptions {
  /** `$hostname` and `$server`. */
  readonly hostname: string;
  /** When given, only these fields need to be materialized (others may be absent). */
  readonly needed?: ReadonlySet<string> | null;
  /** Receives the fallback warning for an unknown format name; silent when absent. */
  readonly warn?: (msg: string) => void;
}

/**
 * The formats this port implements; docs/query-language.md#unknown-variables warnings are given for
 * these only.
 */
export const LOG_FORMATS: ReadonlySet<string> = new Set([
  "default",
  "generic",
  "generickv",
  "csv",
  "json",
  "logfmt",
  "auto",
]);

/** Re-exported from types.ts, where query.ts reads it without loading every parser. */
export { TABLELESS_FORMATS } from "./types.ts";

/** A parser for the format `name`; unknown names give `generic` after one `warn`. */
export function createParser(name: string, options: ParserOptions): LineParser {
  const needed = options.needed ?? null;
  const hostname = options.hostname;
  switch (name) {
    case "default":
      return new DefaultParser(hostname, needed);
    case "generic":
      return new GenericParser(hostname, needed);
    case "generickv":
      return new GenericKvParser(hostname, needed);
    case "csv":
      return new CsvParser(hostname, needed);
    case "json":
      return new JsonParser(hostname, needed);
    case "logfmt":
      return new LogfmtParser(hostname, needed);
    case "auto":
      return new AutoParser(hostname, needed);
    default:
      options.warn?.(`unknown log format "${name}", using generic`);
      return new GenericParser(hostname, needed);
  }
}

/**
 * The `$` variables the parser for `format` produces. Names outside {@link LOG_FORMATS} give the
 * set of `generic`, the format they fall back to (docs/query-language.md#unknown-variables gives no
 * warnings for them).
 */
export function knownVariables(format: string): ReadonlySet<string> {
  switch (format) {
    case "default":
      return DEFAULT_VARIABLES;
    case "csv":
      return CSV_VARIABLES;
    case "json":
      return JSON_VARIABLES;
    case "logfmt":
      return LOGFMT_VARIABLES;
    case "auto":
      return AUTO_VARIABLES;
    default:
      return GENERIC_VARIABLES;
  }
}

/**
 * The docs/query-language.md#unknown-variables plan-time warning for a `$variable` the format
 * cannot produce.
 */
export function variableWarning(variable: string, format: string): string {
  const bare = variable.startsWith("$") ? variable.slice(1) : variable;
  return `warning: ${variable} is not a known variable for log format "${format}"; ` +
    `did you mean bareword ${bare}?`;
}
