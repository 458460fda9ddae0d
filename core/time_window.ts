/**
 * The per-line check of `--since`/`--until` (docs/usage.md#time-ranges): keeps the lines of a
 * source whose time (core/log_time.ts, read from the raw bytes) is in [since, until], both bounds
 * included. A line without a time (a stack trace, a continuation, the second piece of a cut line)
 * has the time of the timed line before it in the source; lines before the first timed line have
 * none, so they are kept only when there is no `since`.
 *
 * It runs after the seek (core/time_seek.ts) and on every line of what is read: the seek's byte
 * range may hold lines outside the range (lines a little out of order), and a compressed file is
 * read whole. The pipeline composes it in only when a range is set (core/pipeline.ts).
 */
import { countNewlines, LineBatch } from "./line_batch.ts";
import { LineTimes } from "./log_time.ts";
import type { Selection } from "./select.ts";
import type { Sink } from "./sink.ts";
import type { TimeRange } from "./time_spec.ts";

const NL = 10;
const CR = 13;
const EMPTY = new Uint8Array(0);

export { activeRange } from "./time_range.ts";

/** The time state of one source: the layout that last worked, the last timed line's time. */
export class TimeWindow {
  readonly #since: number;
  readonly #until: number;
  readonly #times = new LineTimes();
  /** The time of the last timed line (-Infinity before the first). */
  #last = -Infinity;
  /** The number of the next line in the range (cut). */
  #lineNo = 1;

  constructor(range: TimeRange) {
    this.#since = range.since;
    this.#until = range.until;
  }

  /**
   * The lines of `bytes` (whole lines) in the range, as flat [start, end) pairs, adjacent lines
   * merged: [0, bytes.length] when all are.
   */
  ranges(bytes: Uint8Array): number[] {
    const out: number[] = [];
    const times = this.#times;
    const since = this.#since;
    const until = this.#until;
    let last = this.#last;
    const n = bytes.length;
    for (let start = 0; start < n;) {
      const nl = bytes.indexOf(NL, start);
      const next = nl < 0 ? n : nl + 1;
      let end = nl < 0 ? n : nl;
      if (end > start && bytes[end - 1] === CR) end--;
      const t = times.timeOf(bytes, start, end);
      if (t === t) last = t;
      if (last >= since && last <= until) {
        if (out.length > 0 && out[out.length - 1] === start) out[out.length - 1] = next;
        else out.push(start, next);
      }
      start = next;
    }
    this.#last = last;
    return out;
  }

  /**
   * The batch with only its lines in the range (an empty batch when none is: the pipeline still
   * takes its turn per batch). Line numbers, when the batch has them, count the lines in the
   * range from 1.
   */
  cut(batch: LineBatch): LineBatch {
    const { bytes } = batch;
    const ranges = this.ranges(bytes);
    const whole = ranges.length === 2 && ranges[0] === 0 && ranges[1] === bytes.length;
    if (batch.firstLineNo === 0 && whole) return batch;
    const kept = whole
      ? bytes
      : ranges.length === 0
      ? EMPTY
      : ranges.length === 2
      ? bytes.subarray(ranges[0]!, ranges[1]!)
      : gather(bytes, ranges);
    if (batch.firstLineNo === 0) return new LineBatch(kept, 0);
    const out = new LineBatch(kept, this.#lineNo);
    this.#lineNo += countNewlines(out, 0, kept.length);
    // An unterminated last line (the end of a file without "\n") is a line too.
    if (kept.length > 0 && kept[kept.length - 1] !== NL) this.#lineNo++;
    return out;
  }
}

/** The bytes of `ranges` of `bytes`, copied into one array. */
function gather(bytes: Uint8Array, ranges: number[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < ranges.length; i += 2) length += ranges[i + 1]! - ranges[i]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    out.set(bytes.subarray(ranges[i]!, ranges[i + 1]!), at);
    at += ranges[i + 1]! - ranges[i]!;
  }
  return out;
}

/**
 * `sink` taking only the selected lines in the range, for a follow whose positions are tracked
 * (core/follow_position.ts identifies a batch by its bytes, so the batch itself cannot be cut):
 * each new batch's lines are timed once, and its selections cut to those in the range. Line
 * numbers stay those of the follow. A batch that selected nothing never reaches a sink, so its
 * lines do not give their time to an untimed line at the start of the next (with a grep).
 */
export function windowSelections(sink: Sink, range: TimeRange): Sink {
  const windows = new Map<string, TimeWindow>();
  let batch: LineBatch | null = null;
  let ranges: number[] = [];
  return {
    selection(sel: Selection, sourceId: string) {
      if (sel.batch !== batch) {
        batch = sel.batch;
        let window = windows.get(sourceId);
        if (window === undefined) windows.set(sourceId, window = new TimeWindow(range));
        ranges = window.ranges(batch.bytes);
      }
      const whole = ranges.length === 2 && ranges[0] === 0 && ranges[1] === sel.batch.bytes.length;
      sink.selection(
        whole ? sel : { batch: sel.batch, regions: intersect(sel.regions, ranges) },
        sourceId,
      );
    },
    ...(sink.batchDone ? { batchDone: () => sink.batchDone!() } : {}),
    ...(sink.fileDone ? { fileDone: () => sink.fileDone!() } : {}),
  };
}

/** The intersection of two ascending lists of flat [start, end) pairs. */
export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i]!, b[j]!);
    const end = Math.min(a[i + 1]!, b[j + 1]!);
    if (start < end) out.push(start, end);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}
