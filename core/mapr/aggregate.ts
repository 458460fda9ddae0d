/**
 * Group sets (§5.3, §5.10, §5.11): per group key, the running aggregation of every select item,
 * fed line by line on the server and by AGGREGATE messages on the client, and turned into final
 * result rows.
 */
import { parseGoFloat } from "./evaluate.ts";
import type { AggName, Fields, Query, ResultRow } from "./types.ts";

/** How a slot combines values. */
const COUNT = 0;
const ADD = 1; // sum, avg, percentage, percentile
const MIN = 2;
const MAX = 3;
const LAST = 4;
const LEN = 5;

/** One aggregated column: a distinct select text (duplicated select items share a slot). */
export interface Slot {
  readonly text: string;
  readonly agg: AggName;
  readonly field: string;
  /** COUNT, ADD, MIN, MAX, LAST or LEN. */
  readonly how: number;
}

/** One group's running state; numbers[i] is meaningful where seen[i] is 1. */
export interface GroupState {
  samples: number;
  readonly numbers: Float64Array;
  readonly seen: Uint8Array;
  /** Latest string per slot (`last`, `len`); undefined where never seen. */
  readonly strings: (string | undefined)[];
}

const HOW: Record<AggName, number> = {
  count: COUNT,
  sum: ADD,
  avg: ADD,
  percentage: ADD,
  percentile: ADD,
  min: MIN,
  max: MAX,
  last: LAST,
  len: LEN,
};

const slotCache = new WeakMap<Query, readonly Slot[]>();

function slotsOf(query: Query): readonly Slot[] {
  let slots = slotCache.get(query);
  if (slots === undefined) {
    const byText = new Map<string, Slot>();
    for (const item of query.select) {
      if (!byText.has(item.text)) byText.set(item.text, { ...item, how: HOW[item.agg] });
    }
    slots = [...byText.values()];
    slotCache.set(query, slots);
  }
  return slots;
}

/** UTF-8 byte length (Go's `len` of a string). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // 4 bytes for 2 code units
        i++;
        continue;
      }
    }
    bytes += c < 0x800 ? 1 : 2;
  }
  return bytes;
}

/** Aggregated groups of one query, keyed by the group-by values joined with `,`. */
export class GroupSet {
  readonly query: Query;
  readonly slots: readonly Slot[];
  #groups = new Map<string, GroupState>();

  constructor(query: Query) {
    this.query = query;
    this.slots = slotsOf(query);
  }

  /** Number of groups. */
  get size(): number {
    return this.#groups.size;
  }

  /** The groups in insertion order. */
  groups(): IterableIterator<[string, GroupState]> {
    return this.#groups.entries();
  }

  /** The group key of a line: group-by field values joined with `,`, missing ones empty. */
  groupKey(fields: Fields): string {
    const groupBy = this.query.groupBy;
    if (groupBy.length === 1) return fields.get(groupBy[0]!) ?? "";
    let key = "";
    for (let i = 0; i < groupBy.length; i++) {
      if (i > 0) key += ",";
      key += fields.get(groupBy[i]!) ?? "";
    }
    return key;
  }

  /** The group for a key, created empty when new. */
  group(key: string): GroupState {
    let group = this.#groups.get(key);
    if (group === undefined) {
      const n = this.slots.length;
      group = {
        samples: 0,
        numbers: new Float64Array(n),
        seen: new Uint8Array(n),
        strings: new Array<string | undefined>(n).fill(undefined),
      };
      this.#groups.set(key, group);
    }
    return group;
  }

  /**
   * Aggregates one line (server side, §5.3): a missing field or a non-numeric value skips that
   * select item only; the group's samples grow when at least one item aggregated.
   */
  add(fields: Fields): void {
    const slots = this.slots;
    let group: GroupState | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const value = fields.get(slot.field);
      if (value === undefined) continue;
      const how = slot.how;
      let number = 1;
      if (how === ADD || how === MIN || how === MAX) {
        const parsed = parseGoFloat(value);
        if (parsed === null) continue;
        number = parsed;
      } else if (how === LAST) {
        group ??= this.group(this.groupKey(fields));
        group.strings[i] = value;
        continue;
      } else if (how === LEN) {
        number = utf8Length(value);
      }
      group ??= this.group(this.groupKey(fields));
      if (how === LEN) group.strings[i] = value;
      combine(group, i, how, number);
    }
    if (group !== undefined) group.samples++;
  }

  /**
   * Aggregates one received group (client side, §5.11): `values` maps select texts to the
   * message's values; counts are added, `len` is recomputed from its string. Samples are added
   * when anything was aggregated. Returns whether anything was.
   */
  addAggregated(key: string, samples: number, values: ReadonlyMap<string, string>): boolean {
    const slots = this.slots;
    let group: GroupState | undefined;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const value = values.get(slot.text);
      if (value === undefined) continue;
      const how = slot.how;
      let number: number;
      if (how === LAST || how === LEN) {
        group ??= this.group(key);
        group.strings[i] = value;
        if (how === LAST) continue;
        number = utf8Length(value);
      } else {
        const parsed = parseGoFloat(value);
        if (parsed === null) continue;
        number = parsed;
        group ??= this.group(key);
      }
      combine(group, i, how, number);
    }
    if (group === undefined) return false;
    group.samples += samples;
    return true;
  }

  /** Merges another set of the same query into this one; `other` may be emptied (moved). */
  merge(other: GroupSet): void {
    if (this.#groups.size === 0) {
      this.#groups = other.#groups;
      other.#groups = new Map();
      return;
    }
    const n = this.slots.length;
    for (const [key, theirs] of other.#groups) {
      const ours = this.group(key);
      ours.samples += theirs.samples;
      for (let i = 0; i < n; i++) {
        if (theirs.seen[i] === 1) combine(ours, i, this.slots[i]!.how, theirs.numbers[i]!);
        const text = theirs.strings[i];
        if (text !== undefined) ours.strings[i] = text;
      }
    }
  }

  /** Moves every group into a new set and leaves this one empty (delta flushes). */
  takeAll(): GroupSet {
    const taken = new GroupSet(this.query);
    taken.#groups = this.#groups;
    this.#groups = new Map();
    return taken;
  }

  /** Final values per group, in insertion order (render.ts sorts). */
  rows(): ResultRow[] {
    const { totals, ranks } = this.#crossGroupStats();
    const rows: ResultRow[] = [];
    for (const [groupKey, group] of this.#groups) {
      const cells = new Map<string, number | string>();
      for (let i = 0; i < this.slots.length; i++) {
        const slot = this.slots[i]!;
        const number = group.seen[i] === 1 ? group.numbers[i]! : 0;
        switch (slot.agg) {
          case "last":
            cells.set(slot.text, group.strings[i] ?? "");
            break;
          case "count":
            cells.set(slot.text, Math.trunc(number));
            break;
          case "avg":
            cells.set(slot.text, group.samples === 0 ? 0 : number / group.samples);
            break;
          case "percentage": {
            const total = totals[i]!;
            cells.set(slot.text, total === 0 ? 0 : (number / total) * 100);
            break;
          }
          case "percentile":
            cells.set(slot.text, percentileRank(number, ranks[i]!));
            break;
          default:
            cells.set(slot.text, number);
        }
      }
      rows.push({ groupKey, cells });
    }
    return rows;
  }

  /** Per slot: the sum over all groups (percentage), the sorted values (percentile). */
  #crossGroupStats(): { totals: number[]; ranks: number[][] } {
    const totals = this.slots.map(() => 0);
    const ranks = this.slots.map((): number[] => []);
    this.slots.forEach((slot, i) => {
      if (slot.agg !== "percentage" && slot.agg !== "percentile") return;
      for (const group of this.#groups.values()) {
        const value = group.seen[i] === 1 ? group.numbers[i]! : 0;
        if (slot.agg === "percentage") totals[i]! += value;
        else ranks[i]!.push(value);
      }
      ranks[i]!.sort((a, b) => a - b);
    });
    return { totals, ranks };
  }
}

function combine(group: GroupState, i: number, how: number, value: number): void {
  const seen = group.seen[i] === 1;
  const numbers = group.numbers;
  if (!seen || how === LEN) numbers[i] = value;
  else if (how === COUNT || how === ADD) numbers[i] = numbers[i]! + value;
  else if (how === MIN) {
    if (numbers[i]! > value) numbers[i] = value;
  } else if (how === MAX) {
    if (numbers[i]! < value) numbers[i] = value;
  }
  group.seen[i] = 1;
}

/** Percent of the sorted values that are ≤ value. */
function percentileRank(value: number, sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! > value) hi = mid;
    else lo = mid + 1;
  }
  return (lo / sorted.length) * 100;
}
