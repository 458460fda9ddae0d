/**
 * The fields every log format produces (§5.6): `*`, `$line`, `$empty`, `$hostname`, `$server`,
 * `$timezone` and `$timeoffset`, plus the helpers the format parsers share.
 */

import type { Fields } from "./types.ts";

/** The `$` variables every format produces (`*` is not a variable). */
export const COMMON_VARIABLES: ReadonlySet<string> = new Set([
  "$line",
  "$empty",
  "$hostname",
  "$server",
  "$timezone",
  "$timeoffset",
]);

/** The local time zone: its abbreviation (e.g. `UTC`) and its offset in seconds east of UTC. */
export interface Zone {
  readonly name: string;
  readonly offset: number;
}

/** The local time zone at `now`; the name is the short English one (`UTC`, `EST`, `GMT+1`). */
export function localZone(now: Date = new Date()): Zone {
  const offset = -now.getTimezoneOffset() * 60 || 0;
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(now)
    .find((p) => p.type === "timeZoneName");
  return { name: part?.value ?? "UTC", offset };
}

/** `line` without leading and trailing whitespace; returns `line` itself when there is none. */
export function trimLine(line: string): string {
  const n = line.length;
  if (n === 0) return line;
  const first = line.charCodeAt(0);
  const last = line.charCodeAt(n - 1);
  if (first > 32 && first < 127 && last > 32 && last < 127) return line;
  return line.trim();
}

/** Whether a field is wanted: every field when `needed` is null. */
export function wants(needed: ReadonlySet<string> | null, name: string): boolean {
  return needed === null || needed.has(name);
}

/**
 * Writes the common fields a parser was asked for into a fresh map per line, or, with `reuse`,
 * into one map cleared per line (for callers done with a line's fields before the next parse).
 */
export class CommonFields {
  readonly #fixed: [string, string][] = [];
  readonly #line: boolean;
  readonly #reused: Fields | null;

  constructor(
    hostname: string,
    needed: ReadonlySet<string> | null,
    zone?: Zone,
    reuse = false,
  ) {
    const fixed: [string, string][] = [
      ["*", "*"],
      ["$empty", ""],
      ["$hostname", hostname],
      ["$server", hostname],
    ];
    // Intl is slow to start: ask for the zone only when a query uses it.
    if (wants(needed, "$timezone") || wants(needed, "$timeoffset")) {
      const z = zone ?? localZone();
      fixed.push(["$timezone", z.name], ["$timeoffset", String(z.offset)]);
    }
    this.#fixed = fixed.filter(([name]) => wants(needed, name));
    this.#line = wants(needed, "$line");
    this.#reused = reuse ? new Map() : null;
  }

  /** The field map for a line, holding the common fields for the (trimmed) `line`. */
  create(line: string): Fields {
    let fields = this.#reused;
    if (fields === null) fields = new Map();
    else fields.clear();
    const fixed = this.#fixed;
    for (let i = 0; i < fixed.length; i++) fields.set(fixed[i]![0], fixed[i]![1]);
    if (this.#line) fields.set("$line", line);
    return fields;
  }
}
