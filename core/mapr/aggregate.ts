/**
 * Group sets (docs/query-language.md#aggregations, docs/protocol.md#aggregate,
 * docs/protocol.md#merging-on-the-client): per group key, the running aggregation of every select
 * item, fed line by line on the server and by AGGREGATE messages on the client, and turned into
 * final result rows.
 */
import { parseGoFloat } from "./evaluate.ts";
import { LineKeys } from "./key_cache.ts";
import { ABSENT, BYTES, type LineFields, SlotCache } from "./line_fields.ts";
import { DistinctSketch } from "./sketch_distinct.ts";
import { QuantileSketch } from "./sketch_quantile.ts";
import { SkippedValues } from "./skipped_values.ts";
import { utf8Length } from "../utf8.ts";
import type { AggName, Fields, Query, ResultRow, RowValues } from "./types.ts";

/** How a slot combines values. */
const COUNT = 0;
const ADD = 1; // sum, avg, percentage, percentile
const MIN = 2;
const MAX = 3;
const LAST = 4;
const LEN = 5;
/** Sketches (in the store's `sketches`, not its numbers): from here on. */
const QUANTILE = 6;
const DISTINCT = 7;
/** A quantile of a field that an earlier quantile slot already sketches: it reads that one. */
const SHARED = 8;

/** The state of a `quantile` or `count_distinct` slot. */
export type Sketch = QuantileSketch | DistinctSketch;

/** One aggregated column: a distinct select text (duplicated select items share a slot). */
export interface Slot {
  readonly text: string;
  readonly agg: AggName;
  readonly field: string;
  /** The q of a quantile. */
  readonly quantile?: number;
  /** COUNT, ADD, MIN, MAX, LAST, LEN, QUANTILE, DISTINCT or SHARED. */
  readonly how: number;
  /** The slot whose sketch this one reads: its own, or for SHARED the field's first quantile. */
  readonly sketch: number;
}

/** One group's running state (a view for serialization); numbers[i] counts where seen[i] is 1. */
export interface GroupState {
  readonly samples: number;
  readonly numbers: Float64Array;
  readonly seen: Uint8Array;
  /** Latest string per slot (`last`, `len`); undefined where never seen. */
  readonly strings: readonly (string | undefined)[];
  /** Sketch per slot (`quantile`, `count_distinct`); undefined where never fed. */
  readonly sketches: readonly (Sketch | undefined)[];
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
  quantile: QUANTILE,
  count_distinct: DISTINCT,
};

const slotCache = new WeakMap<Query, readonly Slot[]>();

function slotsOf(query: Query): readonly Slot[] {
  let slots = slotCache.get(query);
  if (slots === undefined) {
    const byText = new Map<string, Slot>();
    for (const item of query.select) {
      if (!byText.has(item.text)) {
        byText.set(item.text, { ...item, how: HOW[item.agg], sketch: -1 });
      }
    }
    // The quantiles of one field share one sketch (`p50(x)` and `p99(x)` feed it once).
    const list = [...byText.values()];
    slots = list.map((slot, i) => {
      if (slot.how !== QUANTILE) return { ...slot, sketch: i };
      const first = list.findIndex((s) => s.how === QUANTILE && s.field === slot.field);
      return { ...slot, how: first === i ? QUANTILE : SHARED, sketch: first };
    });
    slotCache.set(query, slots);
  }
  return slots;
}

/**
 * The characters of group keys and `last`/`len` strings a dserver's groups may hold before they go
 * out early (as at maxGroups): a key or a value can be a whole line of up to 1 MiB, so a count of
 * groups alone does not bound them (~32–64 MB).
 */
export const MAX_HELD_CHARS = 32 << 20;

/**
 * Aggregated groups of one query, keyed by the group-by values joined with `,`. Groups are
 * numbered in insertion order and their state lives in flat columns (slot-major per group), so
 * a million groups cost about a hundred bytes each rather than a few objects each.
 */
export class GroupSet {
  readonly query: Query;
  readonly slots: readonly Slot[];
  #index = new Map<string, number>();
  #store: Store;
  readonly #fieldSlots: SlotCache;
  readonly #groupSlots: SlotCache;
  /** The group keys of addLine's lines. */
  readonly #lineKeys: LineKeys;
  readonly #groupOf = (key: string) => this.#group(key);
  /** Per slot: the index of its field among the group-by fields, or -1. */
  readonly #keyParts: Int32Array;
  /** Values of numeric slots that were not numbers (kept by the sets `takeAll` makes). */
  readonly skipped: SkippedValues;

  constructor(query: Query, skipped?: SkippedValues) {
    this.query = query;
    this.slots = slotsOf(query);
    this.skipped = skipped ?? new SkippedValues(this.slots.map((s) => s.text));
    this.#store = this.#newStore();
    this.#fieldSlots = new SlotCache(this.slots.map((s) => s.field));
    this.#groupSlots = new SlotCache(query.groupBy);
    this.#keyParts = Int32Array.from(this.slots, (s) => query.groupBy.indexOf(s.field));
    this.#lineKeys = new LineKeys(query.groupBy);
  }

  #newStore(): Store {
    return new Store(
      this.slots.length,
      this.slots.some((s) => s.how === LAST || s.how === LEN),
      this.slots.some((s) => s.how >= QUANTILE),
    );
  }

  /** Whether addLine finds groups by text now (see LineKeys): decoded batches pay then. */
  get keysByText(): boolean {
    return this.#lineKeys.byText;
  }

  /** Number of groups. */
  get size(): number {
    return this.#index.size;
  }

  /** Characters held in group keys and `last`/`len` strings (a bound on them sends early). */
  get chars(): number {
    return this.#store.chars;
  }

  /** The groups in insertion order, each as a state view. */
  *groups(): IterableIterator<[string, GroupState]> {
    const n = this.slots.length;
    const store = this.#store;
    for (const [key, g] of this.#index) {
      const at = g * n;
      yield [key, {
        samples: store.samples[g]!,
        numbers: store.numbers.subarray(at, at + n),
        seen: store.seen.subarray(at, at + n),
        strings: store.strings.slice(at, at + n),
        sketches: store.sketches.slice(at, at + n),
      }];
    }
  }

  /** The group-by values of a line joined with `,`, missing ones empty. */
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

  /** The number of the group for a key, created empty when new. */
  #group(key: string): number {
    let g = this.#index.get(key);
    if (g === undefined) {
      g = this.#store.add();
      this.#store.chars += key.length;
      this.#index.set(key, g);
    }
    return g;
  }

  /**
   * Aggregates one line (server side, docs/query-language.md#aggregations): a missing field or a
   * non-numeric value skips that select item only; the group's samples grow when at least one item
   * aggregated. The map stage uses addLine on its byte fields; this takes any Fields (a Map), and
   * is what addLine is tested against.
   */
  add(fields: Fields): void {
    const slots = this.slots;
    const store = this.#store;
    this.skipped.line();
    let g = -1;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const value = fields.get(slot.field);
      if (value === undefined) {
        this.skipped.absentIn(i);
        continue;
      }
      const how = slot.how;
      if (how >= QUANTILE) {
        if (how === SHARED) continue;
        const number = how === QUANTILE ? parseGoFloat(value) : 0;
        if (number === null) this.skipped.add(i, value);
        if (number === null || !Number.isFinite(number)) continue;
        if (g < 0) g = this.#group(this.groupKey(fields));
        const at = g * slots.length + i;
        if (how === QUANTILE) store.quantile(at).add(number);
        else store.distinct(at).addString(value);
        continue;
      }
      let number = 1;
      if (how === ADD || how === MIN || how === MAX) {
        const parsed = parseGoFloat(value);
        if (parsed === null) {
          this.skipped.add(i, value);
          continue;
        }
        number = parsed;
      } else if (how === LAST) {
        if (g < 0) g = this.#group(this.groupKey(fields));
        store.setString(g * slots.length + i, value);
        continue;
      } else if (how === LEN) {
        number = utf8Length(value);
      }
      if (g < 0) g = this.#group(this.groupKey(fields));
      if (how === LEN) store.setString(g * slots.length + i, value);
      store.combine(g * slots.length + i, how, number);
    }
    if (g >= 0) store.samples[g]! += 1;
  }

  /**
   * `add` for a parsed line's fields: numbers read from their bytes, the group found by the
   * bytes of its key, strings made only for `last` and `len` values and for new keys.
   */
  addLine(fields: LineFields): void {
    const slots = this.slots;
    const width = slots.length;
    const store = this.#store;
    const fieldSlots = this.#fieldSlots.of(fields);
    const kinds = fields.kinds;
    const skipped = this.skipped;
    skipped.line();
    let g = -1;
    for (let i = 0; i < width; i++) {
      const at = fieldSlots[i]!;
      if (kinds[at] === ABSENT) {
        skipped.absentIn(i);
        continue;
      }
      const how = slots[i]!.how;
      if (how >= QUANTILE) {
        if (how === SHARED) continue;
        if (how === QUANTILE) {
          const parsed = fields.numberAt(at);
          if (parsed === null) this.skipped.add(i, fields.textAt(at)!);
          if (parsed === null || !Number.isFinite(parsed)) continue;
          if (g < 0) g = this.#lineKeys.group(fields, this.#groupOf);
          store.quantile(g * width + i).add(parsed);
        } else {
          if (g < 0) g = this.#lineKeys.group(fields, this.#groupOf);
          const sketch = store.distinct(g * width + i);
          // The bytes hash as their text would (sketch_distinct.ts): no string made.
          if ((kinds[at]! & BYTES) !== 0) {
            sketch.addBytes(fields.sources[at]!, fields.starts[at]!, fields.ends[at]!);
          } else sketch.addString(fields.textAt(at)!);
        }
        continue;
      }
      let number = 1;
      if (how === ADD || how === MIN || how === MAX) {
        const parsed = fields.numberAt(at);
        if (parsed === null) {
          this.skipped.add(i, fields.textAt(at)!);
          continue;
        }
        number = parsed;
      } else if (how === LAST || how === LEN) {
        if (g < 0) g = this.#lineKeys.group(fields, this.#groupOf);
        const part = this.#keyParts[i]!;
        const value = part >= 0 ? this.#lineKeys.part(fields, part)! : fields.textAt(at)!;
        store.setString(g * width + i, value);
        if (how === LAST) continue;
        number = utf8Length(value);
      }
      if (g < 0) g = this.#lineKeys.group(fields, this.#groupOf);
      store.combine(g * width + i, how, number);
    }
    if (g >= 0) store.samples[g]! += 1;
  }

  /**
   * Aggregates one received group (client side, docs/protocol.md#merging-on-the-client): `values`
   * maps select texts to the message's values; counts are added, `len` is recomputed from its
   * string. Samples are added when anything was aggregated. Returns whether anything was.
   */
  addAggregated(key: string, samples: number, values: ReadonlyMap<string, string>): boolean {
    const slots = this.slots;
    const store = this.#store;
    let g = -1;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const value = values.get(slot.text);
      if (value === undefined) continue;
      const how = slot.how;
      if (how >= QUANTILE) {
        if (how === SHARED) continue;
        const sketch = how === QUANTILE
          ? QuantileSketch.fromBase64(value)
          : DistinctSketch.fromBase64(value);
        if (sketch === null) continue;
        if (g < 0) g = this.#group(key);
        store.mergeSketch(g * slots.length + i, sketch);
        continue;
      }
      let number: number;
      if (how === LAST || how === LEN) {
        if (g < 0) g = this.#group(key);
        store.setString(g * slots.length + i, value);
        if (how === LAST) continue;
        number = utf8Length(value);
      } else {
        const parsed = parseGoFloat(value);
        if (parsed === null) continue;
        number = parsed;
        if (g < 0) g = this.#group(key);
      }
      store.combine(g * slots.length + i, how, number);
    }
    if (g < 0) return false;
    store.samples[g]! += samples;
    return true;
  }

  /** Merges another set of the same query into this one; `other` may be emptied (moved). */
  merge(other: GroupSet): void {
    if (this.#index.size === 0) {
      [this.#index, other.#index] = [other.#index, this.#index];
      [this.#store, other.#store] = [other.#store, this.#store];
      this.#lineKeys.clear();
      other.#lineKeys.clear();
      return;
    }
    const n = this.slots.length;
    const theirs = other.#store;
    const ours = this.#store;
    for (const [key, h] of other.#index) {
      const g = this.#group(key);
      ours.samples[g]! += theirs.samples[h]!;
      for (let i = 0; i < n; i++) {
        if (theirs.seen[h * n + i] === 1) {
          ours.combine(g * n + i, this.slots[i]!.how, theirs.numbers[h * n + i]!);
        }
        const text = theirs.strings[h * n + i];
        if (text !== undefined) ours.setString(g * n + i, text);
        const sketch = theirs.sketches[h * n + i];
        if (sketch !== undefined) ours.mergeSketch(g * n + i, sketch);
      }
    }
  }

  /** The groups as plain data for another thread (structured clone). */
  exportColumns(): GroupColumns {
    const store = this.#store;
    const used = store.samples.length * this.slots.length;
    return {
      keys: [...this.#index.keys()],
      samples: store.samples,
      numbers: store.numbers.slice(0, used),
      seen: store.seen.slice(0, used),
      strings: store.strings,
      // Structured clone keeps no class: sketches travel serialized.
      sketches: store.sketches.map((sketch) => sketch?.serialize()),
    };
  }

  /** A set of this query holding exported groups. */
  importColumns(columns: GroupColumns): GroupSet {
    const set = new GroupSet(this.query);
    const store = set.#store;
    store.samples = columns.samples;
    store.numbers = columns.numbers;
    store.seen = columns.seen;
    store.strings = columns.strings;
    const n = this.slots.length;
    store.sketches = columns.sketches.map((bytes, at) => {
      if (bytes === undefined) return undefined;
      const sketch = this.slots[at % n]!.how === QUANTILE
        ? QuantileSketch.deserialize(bytes)
        : DistinctSketch.deserialize(bytes);
      return sketch ?? undefined;
    });
    store.count = columns.keys.length;
    columns.keys.forEach((key, g) => set.#index.set(key, g));
    for (const key of columns.keys) store.chars += key.length;
    for (const text of columns.strings) store.chars += text === undefined ? 0 : text.length;
    return set;
  }

  /** Moves every group into a new set and leaves this one empty (delta flushes). */
  takeAll(): GroupSet {
    const taken = new GroupSet(this.query, this.skipped);
    [taken.#index, this.#index] = [this.#index, taken.#index];
    [taken.#store, this.#store] = [this.#store, taken.#store];
    this.#lineKeys.clear();
    return taken;
  }

  /**
   * Final values per group, in insertion order (render.ts sorts): one small view per group that
   * computes its values when read, so that a report of a million groups does not copy them all
   * (docs/performance.md, MapReduce). Read them before this set changes.
   */
  rows(): ResultRow[] {
    const { totals, ranks } = this.#crossGroupStats();
    const view: RowsView = {
      slots: this.slots,
      store: this.#store,
      columns: new Map(this.slots.map((slot, i) => [slot.text, i])),
      totals,
      ranks,
      index: this.#index,
    };
    const rows: GroupRow[] = new Array(this.#index.size);
    let i = 0;
    for (const [groupKey, g] of this.#index) rows[i++] = new GroupRow(groupKey, g, view);
    return rows;
  }

  /** Per slot: the sum over all groups (percentage), the sorted values (percentile). */
  #crossGroupStats(): { totals: number[]; ranks: number[][] } {
    const totals = this.slots.map(() => 0);
    const ranks = this.slots.map((): number[] => []);
    const n = this.slots.length;
    const store = this.#store;
    this.slots.forEach((slot, i) => {
      if (slot.agg !== "percentage" && slot.agg !== "percentile") return;
      for (const g of this.#index.values()) {
        const value = store.seen[g * n + i] === 1 ? store.numbers[g * n + i]! : 0;
        if (slot.agg === "percentage") totals[i]! += value;
        else ranks[i]!.push(value);
      }
      ranks[i]!.sort((a, b) => a - b);
    });
    return { totals, ranks };
  }
}

/** What the rows of one `rows()` call share. */
interface RowsView {
  readonly slots: readonly Slot[];
  readonly store: Store;
  /** Select text → slot. */
  readonly columns: ReadonlyMap<string, number>;
  readonly totals: readonly number[];
  readonly ranks: readonly (readonly number[])[];
  /** Group key → group number; the rows are in group-number order. */
  readonly index: ReadonlyMap<string, number>;
}

/** One group's final values, computed from the set's columns when read (a row is its cells). */
class GroupRow implements ResultRow, RowValues {
  constructor(readonly groupKey: string, readonly group: number, readonly view: RowsView) {}

  get cells(): RowValues {
    return this;
  }

  get(text: string): number | string | undefined {
    const i = this.view.columns.get(text);
    return i === undefined ? undefined : this.#value(i);
  }

  #value(i: number): number | string {
    const { slots, store, totals, ranks } = this.view;
    const g = this.group;
    const at = g * slots.length + i;
    const number = store.seen[at] === 1 ? store.numbers[at]! : 0;
    switch (slots[i]!.agg) {
      case "last":
        return store.strings[at] ?? "";
      case "count":
        return Math.trunc(number);
      case "avg": {
        const samples = store.samples[g]!;
        return samples === 0 ? 0 : number / samples;
      }
      case "percentage": {
        const total = totals[i]!;
        return total === 0 ? 0 : (number / total) * 100;
      }
      case "percentile":
        return percentileRank(number, ranks[i]!);
      case "quantile": {
        const sketch = store.sketches[g * slots.length + slots[i]!.sketch];
        const value = sketch instanceof QuantileSketch ? sketch.quantile(slots[i]!.quantile!) : 0;
        return Number.isNaN(value) ? 0 : value;
      }
      case "count_distinct": {
        const sketch = store.sketches[at];
        return sketch instanceof DistinctSketch ? Math.round(sketch.estimate()) : 0;
      }
      default:
        return number;
    }
  }

  *[Symbol.iterator](): IterableIterator<[string, number | string]> {
    for (const [text, i] of this.view.columns) yield [text, this.#value(i)];
  }
}

/**
 * The row of each key for rows as one `GroupSet.rows` call made them (found through the set's own
 * index: no map of a million keys more); null for any other rows.
 */
export function rowsByKey(rows: readonly ResultRow[]): ((key: string) => ResultRow) | null {
  const first = rows[0];
  if (!(first instanceof GroupRow) || first.view.index.size !== rows.length) return null;
  const view = first.view;
  for (let g = 0; g < rows.length; g++) {
    const row = rows[g];
    if (!(row instanceof GroupRow) || row.group !== g || row.view !== view) return null;
  }
  return (key) => rows[view.index.get(key)!]!;
}

/** A group set's groups as plain data (see exportColumns). */
export interface GroupColumns {
  readonly keys: string[];
  readonly samples: number[];
  readonly numbers: Float64Array;
  readonly seen: Uint8Array;
  readonly strings: (string | undefined)[];
  /** Per group and slot: a sketch serialized (see Sketch), or undefined. */
  readonly sketches: (Uint8Array | undefined)[];
}

/** The columns of a group set: per group its samples, per group and slot a number and a flag. */
class Store {
  samples: number[] = [];
  numbers: Float64Array = new Float64Array(0);
  seen: Uint8Array = new Uint8Array(0);
  /** Latest string per group and slot (`last`, `len`). */
  strings: (string | undefined)[] = [];
  /** Sketch per group and slot (`quantile`, `count_distinct`). */
  sketches: (Sketch | undefined)[] = [];
  count = 0;
  /** Characters of the group keys and of `strings`: what a line can make grow by up to 1 MiB. */
  chars = 0;

  constructor(
    private readonly width: number,
    private readonly withStrings: boolean,
    private readonly withSketches: boolean,
  ) {}

  /** A new empty group; returns its number. */
  add(): number {
    const g = this.count++;
    const need = this.count * this.width;
    if (need > this.numbers.length) {
      const size = Math.max(64, need * 2);
      const numbers = new Float64Array(size);
      numbers.set(this.numbers);
      this.numbers = numbers;
      const seen = new Uint8Array(size);
      seen.set(this.seen);
      this.seen = seen;
    }
    this.samples.push(0);
    if (this.withStrings) { for (let i = 0; i < this.width; i++) this.strings.push(undefined); }
    if (this.withSketches) { for (let i = 0; i < this.width; i++) this.sketches.push(undefined); }
    return g;
  }

  /** Keeps `value` as the string at `at`, counting its characters. */
  setString(at: number, value: string): void {
    const old = this.strings[at];
    this.chars += value.length - (old === undefined ? 0 : old.length);
    this.strings[at] = value;
  }

  /** The quantile sketch at `at`, made when new. */
  quantile(at: number): QuantileSketch {
    const sketch = this.sketches[at];
    if (sketch instanceof QuantileSketch) return sketch;
    return (this.sketches[at] = new QuantileSketch());
  }

  /** The distinct-value sketch at `at`, made when new. */
  distinct(at: number): DistinctSketch {
    const sketch = this.sketches[at];
    if (sketch instanceof DistinctSketch) return sketch;
    return (this.sketches[at] = new DistinctSketch());
  }

  /** Merges a sketch in (taking it over when none is here: the caller lets it go). */
  mergeSketch(at: number, sketch: Sketch): void {
    const ours = this.sketches[at];
    if (ours === undefined) this.sketches[at] = sketch;
    else if (ours instanceof QuantileSketch && sketch instanceof QuantileSketch) ours.merge(sketch);
    else if (ours instanceof DistinctSketch && sketch instanceof DistinctSketch) ours.merge(sketch);
  }

  combine(at: number, how: number, value: number): void {
    const numbers = this.numbers;
    if (this.seen[at] !== 1 || how === LEN) numbers[at] = value;
    else if (how === COUNT || how === ADD) numbers[at] = numbers[at]! + value;
    else if (how === MIN) {
      if (numbers[at]! > value) numbers[at] = value;
    } else if (how === MAX) {
      if (numbers[at]! < value) numbers[at] = value;
    }
    this.seen[at] = 1;
  }
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
