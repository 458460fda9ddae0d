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

/** Writes the common fields a parser was asked for into a fresh map per line. */
export class CommonFields {
  readonly #fixed: [string, string][] = [];
  readonly #line: boolean;

  constructor(hostname: string, needed: ReadonlySet<string> | null, zone: Zone = localZone()) {
    const fixed: [string, string][] = [
      ["*", "*"],
      ["$empty", ""],
      ["$hostname", hostname],
      ["$server", hostname],
      ["$timezone", zone.name],
      ["$timeoffset", String(zone.offset)],
    ];
    this.#fixed = fixed.filter(([name]) => wants(needed, name));
    this.#line = wants(needed, "$line");
  }

  /** A new field map holding the common fields for the (trimmed) `line`. */
  create(line: string): Fields {
    const fields: Fields = new Map();
    for (const [name, value] of this.#fixed) fields.set(name, value);
    if (this.#line) fields.set("$line", line);
    return fields;
  }
}
