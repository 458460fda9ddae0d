/**
 * The fields every log format produces (docs/query-language.md#fields): `*`, `$line`, `$empty`,
 * `$hostname`, `$server`, `$timezone` and `$timeoffset`, plus the helpers the format parsers share.
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
  readonly #reused: SlotFields | null;

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
    this.#reused = reuse ? new SlotFields() : null;
  }

  /** The field map for a line, holding the common fields for the (trimmed) `line`. */
  create(line: string): Fields {
    let fields: Fields | null = this.#reused;
    if (fields === null) fields = new Map();
    else this.#reused!.clear();
    const fixed = this.#fixed;
    for (let i = 0; i < fixed.length; i++) fields.set(fixed[i]![0], fixed[i]![1]);
    if (this.#line) fields.set("$line", line);
    return fields;
  }
}

/**
 * Fields kept in one array that is cleared per line: names get a slot the first time they are
 * set, so after the first lines nothing is allocated (a Map cleared per line regrows its table).
 */
export class SlotFields implements Fields {
  readonly #slots = new Map<string, number>();
  readonly #values: (string | undefined)[] = [];

  /** The slot of a name (given one when new): hot paths resolve names once, then use `at`. */
  slot(name: string): number {
    let i = this.#slots.get(name);
    if (i === undefined) {
      i = this.#values.length;
      this.#slots.set(name, i);
      this.#values.push(undefined);
    }
    return i;
  }

  at(slot: number): string | undefined {
    return this.#values[slot];
  }

  setAt(slot: number, value: string): void {
    this.#values[slot] = value;
  }

  get(name: string): string | undefined {
    const i = this.#slots.get(name);
    return i === undefined ? undefined : this.#values[i];
  }

  set(name: string, value: string): void {
    this.#values[this.slot(name)] = value;
  }

  clear(): void {
    const values = this.#values;
    for (let i = 0; i < values.length; i++) values[i] = undefined; // fill() is a slow runtime call
  }
}

/** Names resolved to the slots of one SlotFields, re-resolved if another one comes along. */
export class SlotCache {
  #owner: SlotFields | null = null;
  #slots = new Int32Array(0);

  constructor(private readonly names: readonly string[]) {}

  of(fields: SlotFields): Int32Array {
    if (this.#owner !== fields) {
      this.#owner = fields;
      this.#slots = Int32Array.from(this.names, (name) => fields.slot(name));
    }
    return this.#slots;
  }
}
