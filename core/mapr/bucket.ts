/**
 * Time buckets in the map stage (docs/query-language.md#time-buckets): per line, the time read
 * from a field's text, floored to the bucket width and labelled in RFC 3339 UTC, becomes the value
 * of the bucket's computed field (named by its text, `bucket($time, 1m)`), which is then grouped
 * and selected like any other field.
 *
 * A field's time is read from its bytes: DTail's `YYYYMMDD-HHMMSS` or `MMDD-HHMMSS` (the default
 * format's `$time`), epoch seconds, ms, µs or ns, or anything core/log_time.ts finds in a line
 * (RFC 3339 / ISO 8601, the common log format, syslog, JSON and logfmt time keys). A
 * `timelayout` replaces them all. What worked on the last line is tried first.
 */
import type { TimeZone } from "../civil_time.ts";
import { type LineTimeOptions, LineTimes, TimeParsers } from "../log_time.ts";
import { compileTimeLayout } from "../time_layout.ts";
import { bucketStart, timeLabel } from "../time_bucket.ts";
import { ABSENT, BYTES, type LineFields } from "./line_fields.ts";
import type { BucketSpec, Query } from "./types.ts";

export interface BucketOptions {
  /** Now, epoch ms: the year of times that have none. Default: Date.now(). */
  readonly now?: number;
  /** The zone of times without an offset. Default: the process's local zone. */
  readonly zone?: TimeZone;
  /** Without a fixed `now`: where now is read from. Default: Date.now. */
  readonly clock?: () => number;
}

const NONE = 0;
const DTAIL = 1;
const EPOCH = 2;
const LINE = 3;

/** Calls between looks at the clock (see FieldTimes). */
const CLOCK_EVERY = 4096;
/** How old now may get before the parsers are made anew. */
const NOW_MAX_AGE = 60_000;

/**
 * The time in a field's text, epoch ms or NaN. Times without a year take the one that puts them
 * before now (core/civil_time.ts, wallWithoutYear): without a fixed `now`, now is moved on every
 * minute or so, so that a query following a log past New Year's Eve gives its lines the new year.
 */
export class FieldTimes {
  #parsers!: TimeParsers;
  #lines!: LineTimes;
  readonly #configured: boolean;
  readonly #options: LineTimeOptions;
  readonly #clock: (() => number) | null;
  #now = 0;
  #calls = 0;
  #last = NONE;

  constructor(layout: string | null, options: BucketOptions = {}) {
    this.#options = {
      ...(options.zone === undefined ? {} : { zone: options.zone }),
      ...(layout === null ? {} : { layout: compileTimeLayout(layout) }),
    };
    this.#configured = layout !== null;
    this.#clock = options.now !== undefined ? null : options.clock ?? Date.now;
    this.#renew(options.now ?? this.#clock!());
  }

  #renew(now: number): void {
    this.#now = now;
    this.#parsers = new TimeParsers({ ...this.#options, now });
    this.#lines = new LineTimes({ ...this.#options, now });
  }

  /** The time in `bytes[start, end)`, or NaN. */
  timeOf(b: Uint8Array, start: number, end: number): number {
    if (++this.#calls === CLOCK_EVERY && this.#clock !== null) {
      this.#calls = 0;
      const now = this.#clock();
      if (now - this.#now > NOW_MAX_AGE) this.#renew(now);
    }
    if (this.#configured) return this.#lines.timeOf(b, start, end);
    let t = this.#try(this.#last, b, start, end);
    if (t === t) return t;
    for (let kind = DTAIL; kind <= LINE; kind++) {
      if (kind === this.#last) continue;
      if ((t = this.#try(kind, b, start, end)) === t) {
        this.#last = kind;
        return t;
      }
    }
    return NaN;
  }

  #try(kind: number, b: Uint8Array, start: number, end: number): number {
    const p = this.#parsers;
    switch (kind) {
      case DTAIL: {
        const t = p.dtail(b, start, end);
        return t === t && p.end === end ? t : NaN;
      }
      case EPOCH: {
        const t = p.epoch(b, start, end);
        return t === t && p.end === end ? t : NaN;
      }
      case LINE:
        return this.#lines.timeOf(b, start, end);
      default:
        return NaN;
    }
  }
}

/** One bucket: where its time is read from and written to, and the label of its last bucket. */
interface Bucket {
  readonly source: number;
  readonly target: number;
  readonly widthMs: number;
  readonly times: FieldTimes;
  lastStart: number;
  /** The label of lastStart in ASCII bytes: a group key hashes fewer bytes than of its text. */
  lastLabel: Uint8Array;
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Sets the bucket fields of each line a parser read into `fields`. */
export class BucketStage {
  readonly #fields: LineFields;
  readonly #buckets: Bucket[];
  #scratch = new Uint8Array(64);

  constructor(
    specs: readonly BucketSpec[],
    layout: string | null,
    fields: LineFields,
    options: BucketOptions = {},
  ) {
    this.#fields = fields;
    // The buckets of one field share its reader (which remembers that field's layout).
    const readers = new Map<string, FieldTimes>();
    this.#buckets = specs.map((spec) => {
      let times = readers.get(spec.field);
      if (times === undefined) readers.set(spec.field, times = new FieldTimes(layout, options));
      return {
        source: fields.slot(spec.field),
        target: fields.slot(spec.text),
        widthMs: spec.widthMs,
        times,
        lastStart: NaN,
        lastLabel: EMPTY,
      };
    });
  }

  /**
   * Sets every bucket field of the current line; false when a bucket's field is missing or holds
   * no time it can read (the caller skips the line and counts it).
   */
  apply(): boolean {
    const fields = this.#fields;
    const buckets = this.#buckets;
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i]!;
      const t = this.#timeAt(bucket.source, bucket.times);
      if (t !== t) return false;
      const start = bucketStart(t, bucket.widthMs);
      if (start !== bucket.lastStart) {
        const label = timeLabel(start);
        if (label === "") return false;
        bucket.lastStart = start;
        bucket.lastLabel = encoder.encode(label);
      }
      fields.setBytes(bucket.target, bucket.lastLabel, 0, bucket.lastLabel.length);
    }
    return true;
  }

  #timeAt(slot: number, times: FieldTimes): number {
    const fields = this.#fields;
    const kind = fields.kinds[slot]!;
    if (kind === ABSENT) return NaN;
    if ((kind & BYTES) !== 0) {
      return times.timeOf(fields.sources[slot]!, fields.starts[slot]!, fields.ends[slot]!);
    }
    const text = fields.texts[slot]!;
    if (this.#scratch.length < text.length * 3) this.#scratch = new Uint8Array(text.length * 3);
    const { written } = encoder.encodeInto(text, this.#scratch);
    return times.timeOf(this.#scratch, 0, written);
  }
}

/** The query's bucket stage for `fields`, or null when it has no bucket. */
export function bucketStage(
  query: Query,
  fields: LineFields,
  options: BucketOptions = {},
): BucketStage | null {
  const specs = query.buckets ?? [];
  if (specs.length === 0) return null;
  return new BucketStage(specs, query.timeLayout ?? null, fields, options);
}
