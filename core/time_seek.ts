/**
 * Where a time range's lines are in a plain file, found by binary search over byte offsets
 * (`--since`, `--until`): about log2(size / buffer) reads of one buffer, then a scan of the
 * lines near each bound, instead of reading the file up to them.
 *
 * The guarantee rests on a disorder bound D (`disorderMs`, default 60 s): no line's time is more
 * than D after the time of a line that comes after it (threads and buffered writers reorder lines
 * a little; a log is not reordered by hours). Under it:
 * - `start` is exactly the start of the first line timed >= since: every line before a line
 *   timed < since - D is timed < since, so the search moves past such lines only, then scans
 *   forward from the last one it passed to the first line timed >= since;
 * - `end` is exactly the start of the first timed line after the last line timed <= until (the
 *   file's end if that is the last timed line): the search moves past lines timed <= until only,
 *   then scans forward to a line timed > until + D, after which no line is timed <= until;
 * - so the scans read about D of log (up to 2·D) around each bound.
 * Where the bound does not hold, lines of the range beyond the scans' reach can be missed. The
 * byte range can hold lines outside the time range (disorder): the caller still checks each
 * line's time. No since (-Infinity) starts at 0, no until (Infinity) ends at the file's size.
 *
 * Lines without a time (stack traces, continuations) are stepped over: the probes look forward
 * to the next timed line (at most PROBE_LIMIT bytes), and they belong to the timed line before
 * them. A line longer than the buffer is timed by its first buffer of bytes.
 *
 * Compressed files cannot be entered in the middle: the range is the whole file (start 0, end
 * Infinity) and the caller's per-line check does all the work.
 */
import { compressionOfBytes, compressionOfName } from "./compression.ts";
import type { InputFile } from "./fd_file.ts";
import { KEY_WINDOW, type LineTimeOptions, LineTimes } from "./log_time.ts";
import type { TimeRange } from "./time_spec.ts";

export const DEFAULT_DISORDER_MS = 60_000;
const DEFAULT_BUFFER = 64 * 1024;
/** How far a probe looks for a timed line before it gives up on that part of the file. */
export const PROBE_LIMIT = 1 << 20;

const NL = 10;
const CR = 13;

export interface SeekOptions extends LineTimeOptions {
  /** See the module comment (ms). */
  readonly disorderMs?: number;
  /** The read buffer's size in bytes (at least KEY_WINDOW). */
  readonly bufferSize?: number;
  /** The file's size (default: its fstat now). */
  readonly size?: number;
}

/** A byte range of a file: the lines starting in [start, end). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The bytes of `file` (at `path`, which names its compression) that hold the lines of `range`.
 * Moves the file's position.
 */
export function seekTimeRange(
  path: string,
  file: InputFile,
  range: TimeRange,
  options: SeekOptions = {},
): ByteRange {
  const size = options.size ?? file.statSync().size;
  const seeker = new TimeSeeker(file, size, options);
  if (seeker.compressed(path)) return { start: 0, end: Infinity };
  const start = seeker.since(range.since);
  return { start, end: Math.max(start, seeker.until(range.until, start)) };
}

/** A timed line: where it starts, its time, where the next line starts. */
type Visit = (start: number, time: number, next: number) => boolean;

class TimeSeeker {
  readonly #file: InputFile;
  readonly #size: number;
  readonly #buf: Uint8Array;
  readonly #times: LineTimes;
  readonly #disorder: number;
  /** The last probe's line. */
  #start = 0;
  #time = NaN;
  #next = 0;

  constructor(file: InputFile, size: number, options: SeekOptions) {
    this.#file = file;
    this.#size = size;
    // Never less than the bytes a line's time is looked for in.
    this.#buf = new Uint8Array(Math.max(KEY_WINDOW, options.bufferSize ?? DEFAULT_BUFFER));
    this.#times = new LineTimes(options);
    this.#disorder = Math.max(0, options.disorderMs ?? DEFAULT_DISORDER_MS);
  }

  compressed(path: string): boolean {
    if (compressionOfName(path) !== "none") return true;
    return compressionOfBytes(this.#buf.subarray(0, this.#read(0, 4))) !== "none";
  }

  /** The start of the first line timed >= since (the file's size when there is none). */
  since(since: number): number {
    if (since === -Infinity) return 0;
    const certain = since - this.#disorder;
    // Every line before lo is timed < since.
    let lo = 0;
    let hi = this.#size;
    while (hi - lo > this.#buf.length) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.#probe(mid, hi) && this.#time < certain) lo = this.#next;
      else hi = mid;
    }
    let start = this.#size;
    this.#scan(lo, Infinity, (s, t) => {
      if (t < since) return false;
      start = s;
      return true;
    });
    return start;
  }

  /** Where the lines of until end (see the module comment), looked for from line start `from`. */
  until(until: number, from: number): number {
    if (until === Infinity) return this.#size;
    const certain = until + this.#disorder;
    // A line timed <= until ends before lo; from `end` on, no line is timed <= until (the file's end
    // or a line timed > until + D). hi only steers the probes.
    let lo = from;
    let hi = this.#size;
    let end = this.#size;
    while (hi - lo > this.#buf.length) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (!this.#probe(mid, hi)) hi = mid;
      else if (this.#time <= until) lo = this.#next;
      else {
        hi = this.#start;
        if (this.#time > certain) end = this.#start;
      }
    }
    let after = -1;
    this.#scan(lo, end, (s, t) => {
      if (t <= until) after = -1;
      else if (after < 0) after = s;
      return t > certain;
    });
    return after >= 0 ? after : end;
  }

  /** The first timed line starting in [line start at or after `at`, hi), within PROBE_LIMIT. */
  #probe(at: number, hi: number): boolean {
    return this.#scan(at, Math.min(hi, at + PROBE_LIMIT), (s, t, next) => {
      this.#start = s;
      this.#time = t;
      this.#next = next;
      return true;
    });
  }

  /**
   * Visits the timed lines that start in [the first line start at or after `at`, stop) until
   * `visit` returns true (then true).
   */
  #scan(at: number, stop: number, visit: Visit): boolean {
    const size = this.#size;
    const buf = this.#buf;
    const times = this.#times;
    // Not at a line start: the rest of the line before is skipped ("\n" at at - 1: nothing).
    let partial = at > 0;
    let pos = partial ? at - 1 : at;
    while (pos < size && pos < stop) {
      const n = this.#read(pos, buf.length);
      if (n === 0) return false;
      const view = buf.subarray(0, n);
      let i = 0;
      if (partial) {
        const nl = view.indexOf(NL);
        if (nl < 0) {
          pos += n;
          continue;
        }
        partial = false;
        i = nl + 1;
        if (i === n) {
          pos += n;
          continue;
        }
      }
      for (;;) {
        if (pos + i >= stop) return false;
        const nl = view.indexOf(NL, i);
        if (nl < 0) {
          if (pos + n >= size) {
            const t = times.timeOf(buf, i, n);
            return t === t && visit(pos + i, t, size);
          }
          if (i > 0) {
            pos += i;
            break;
          }
          // A line longer than the buffer.
          const t = times.timeOf(buf, 0, n);
          const next = this.#lineStartFrom(pos + n);
          if (t === t && visit(pos, t, next)) return true;
          pos = next;
          break;
        }
        const t = times.timeOf(buf, i, nl > i && buf[nl - 1] === CR ? nl - 1 : nl);
        if (t === t && visit(pos + i, t, pos + nl + 1)) return true;
        i = nl + 1;
        if (i === n) {
          pos += n;
          break;
        }
      }
    }
    return false;
  }

  /** The first line start at or after `at`. */
  #lineStartFrom(at: number): number {
    if (at <= 0) return 0;
    for (let pos = at - 1; pos < this.#size;) {
      const n = this.#read(pos, this.#buf.length);
      if (n === 0) break;
      const nl = this.#buf.subarray(0, n).indexOf(NL);
      if (nl >= 0) return pos + nl + 1;
      pos += n;
    }
    return this.#size;
  }

  /** Reads up to `length` bytes at `pos` into the buffer's start; how many were read. */
  #read(pos: number, length: number): number {
    const want = Math.min(length, this.#buf.length, this.#size - pos);
    if (want <= 0) return 0;
    this.#file.seekSync(pos, Deno.SeekMode.Start);
    let got = 0;
    while (got < want) {
      const n = this.#file.readSync(this.#buf.subarray(got, want));
      if (n === null || n === 0) break;
      got += n;
    }
    return got;
  }
}
