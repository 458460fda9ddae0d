/**
 * The fields a query wants from a self-describing line (`json`, `logfmt`): their names as UTF-8
 * to compare with the line's keys, their slots, and which keys give `$time`
 * (docs/query-language.md#log-formats: `time`, else `ts`, else `timestamp`).
 */
import { wants } from "./format_common.ts";
import type { LineFields } from "./line_fields.ts";

/** The keys `$time` is taken from, best first. */
export const TIME_KEYS: readonly string[] = ["time", "ts", "timestamp"];

/** Ranks are 1 + the position in TIME_KEYS; this one is worse than any. */
export const NO_TIME = TIME_KEYS.length + 1;

const encoder = new TextEncoder();
const DOT = 46;
/** Path lengths from here on share one entry of FieldTargets.ends. */
export const LONG = 256;

/** The `$time` rank of a key: 1 + its position in TIME_KEYS, or 0 for any other key. */
export function timeRank(key: string): number {
  return TIME_KEYS.indexOf(key) + 1;
}

/**
 * The targets of one query. Names starting with `$` are variables and `*` is a common field:
 * neither is read from a line's keys.
 */
export class FieldTargets {
  /** Every key is wanted (`needed` null). */
  readonly all: boolean;
  /** The wanted key paths (dotted for nested JSON) as UTF-8. */
  readonly paths: readonly Uint8Array[];
  /** Per path, its `$time` rank (0: none, or `$time` is not wanted). */
  readonly timeRanks: Uint8Array;
  readonly #names: readonly string[];
  /** Per path, whether the path is itself a wanted field (not only a `$time` source). */
  readonly #fieldWanted: readonly boolean[];
  readonly #wantsTime: boolean;
  #owner: LineFields | null = null;
  /** Per path, its slot in the bound fields, or -1. */
  slots = new Int32Array(0);
  /** The slot of `$time` in the bound fields, or -1. */
  timeSlot = -1;

  constructor(needed: ReadonlySet<string> | null) {
    this.all = needed === null;
    this.#wantsTime = wants(needed, "$time");
    const names = [...needed ?? []].filter((n) => !n.startsWith("$") && n !== "*");
    const fieldWanted = names.map(() => true);
    if (this.#wantsTime) {
      for (const key of TIME_KEYS) {
        if (!names.includes(key)) {
          names.push(key);
          fieldWanted.push(false);
        }
      }
    }
    this.#names = names;
    this.#fieldWanted = fieldWanted;
    this.paths = names.map((n) => encoder.encode(n));
    this.timeRanks = Uint8Array.from(names, (n) => this.#wantsTime ? timeRank(n) : 0);
    for (const path of this.paths) {
      this.ends[Math.min(path.length, LONG)] = 1;
      for (let i = 0; i < path.length; i++) if (path[i] === DOT) this.ends[Math.min(i, LONG)] = 1;
    }
  }

  /**
   * Per length up to LONG (longer ones share LONG), 1 when some path is that long or has a dot
   * after that many bytes: a key path of another length is neither a target nor above one.
   */
  readonly ends = new Uint8Array(LONG + 1);

  /** Whether no key is ever wanted: a line need only be checked, not read. */
  get none(): boolean {
    return !this.all && this.paths.length === 0;
  }

  /** Resolves the slots in `fields` (once per LineFields). */
  bind(fields: LineFields): void {
    if (this.#owner === fields) return;
    this.#owner = fields;
    this.slots = Int32Array.from(
      this.#names,
      (name, i) => this.#fieldWanted[i] ? fields.slot(name) : -1,
    );
    this.timeSlot = this.#wantsTime ? fields.slot("$time") : -1;
  }

  /** The target whose path is exactly `bytes[start, end)`, or -1. */
  find(bytes: Uint8Array, start: number, end: number): number {
    const paths = this.paths;
    const length = end - start;
    if (this.ends[length < LONG ? length : LONG] === 0) return -1;
    next: for (let t = 0; t < paths.length; t++) {
      const path = paths[t]!;
      if (path.length !== length) continue;
      for (let j = 0; j < length; j++) if (path[j] !== bytes[start + j]) continue next;
      return t;
    }
    return -1;
  }
}
