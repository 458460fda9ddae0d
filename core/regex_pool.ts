/**
 * re2js matching off the main thread. re2js runs in linear time but, on a long pattern, slowly
 * (O(pattern × text): 10,000 dots take ~1 s per 41 KB), and a dserver serves every session on
 * one thread. The pool's workers find the matching lines of a text and hand back their start
 * offsets, which the main thread's line selector then looks up (see pipeline.ts). An irregexp
 * matcher's batch is matched on the main thread up to the first line it would hand to re2js,
 * and the pool takes the rest (`matchingLinesOffThread`).
 *
 * - Workers start lazily, at the first task (a run without re2js patterns starts none); there are
 *   at most `size` of them (by `navigator.hardwareConcurrency`, 2–4).
 * - A text is cut into pieces of whole lines (PIECE_CHARS); a free worker takes the next piece of
 *   the task with the fewest pieces running, in turn, so tasks share the workers fairly and one
 *   task's pieces run in parallel when nobody else waits.
 * - A task whose signal aborts is dropped at once: its queued pieces go, and a worker busy with
 *   one of its pieces is told to stop through shared memory (it checks within milliseconds, even
 *   inside one long line: see regex_worker.ts). Terminating it would not do: Deno's
 *   Worker.terminate() does not interrupt a worker that runs JavaScript.
 * - A worker that fails fails its task with a RegexPoolError; it is replaced at the next task.
 * - Workers go when the pool has had no work for IDLE_MS, or LINGER_MS after its last user left
 *   (see `use`); a live worker keeps a Deno process running.
 */
import type { Matcher } from "./matcher.ts";
import type { RegexReply, RegexTask } from "./regex_worker.ts";
import { InternalError } from "./errors.ts";

/** Characters of whole lines in one piece of a task (a line longer than this is one piece). */
export const PIECE_CHARS = 256 * 1024;
/** No work for this long: the workers are terminated. */
export const IDLE_MS = 10_000;
/** The same once the pool has no user (between two files of one run: well below). */
export const LINGER_MS = 250;

export class RegexPoolError extends InternalError {
  override name = "RegexPoolError";
}

/** Workers for this machine: one per core beside the main thread, 2 at least, 4 at most. */
export function defaultPoolSize(): number {
  const cores = navigator.hardwareConcurrency || 2;
  return Math.min(4, Math.max(2, cores - 1));
}

interface Piece {
  readonly task: Task;
  readonly index: number;
  readonly text: string;
  readonly offset: number;
}

interface Task {
  readonly pattern: string;
  readonly pieces: Piece[];
  readonly results: (Int32Array | undefined)[];
  /** Pieces handed to a worker, and pieces answered. */
  started: number;
  /** When the task last had a piece handed out (the pool's count of pieces handed out). */
  served: number;
  running: number;
  answered: number;
  settled: boolean;
  readonly resolve: (starts: Int32Array) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Slot {
  readonly worker: Worker;
  /** The piece being matched (still set while a taken-back piece winds down). */
  piece: Piece | null;
  id: number;
  /** [0]: the id of the piece the worker may go on with (0: none). */
  readonly control: Int32Array<SharedArrayBuffer>;
}

export interface RegexPoolOptions {
  readonly size?: number;
  /** The worker script (tests give a failing one). */
  readonly workerUrl?: URL;
  readonly idleMs?: number;
  readonly lingerMs?: number;
}

export class RegexPool {
  readonly size: number;
  readonly #workerUrl: URL;
  readonly #idleMs: number;
  readonly #lingerMs: number;
  readonly #slots: Slot[] = [];
  /** Tasks with pieces not yet started. */
  #waiting: Task[] = [];
  #users = 0;
  #nextId = 1;
  #handedOut = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RegexPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? defaultPoolSize());
    this.#workerUrl = options.workerUrl ?? new URL("./regex_worker.ts", import.meta.url);
    this.#idleMs = options.idleMs ?? IDLE_MS;
    this.#lingerMs = options.lingerMs ?? LINGER_MS;
  }

  /** Workers alive now (busy or idle). */
  get workers(): number {
    return this.#slots.length;
  }

  /**
   * Counts a user (a run that may send more tasks) until the returned handle is disposed; once the
   * last user left, idle workers go after LINGER_MS rather than IDLE_MS.
   */
  use(): Disposable {
    this.#users++;
    let released = false;
    return {
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        this.#users--;
        this.#idleCheck();
      },
    };
  }

  /**
   * The start offsets of the lines of `text` that the re2js matcher of `pattern` matches, in
   * ascending order (see regex_worker.ts). Rejects with the signal's reason once it aborts, and
   * with a RegexPoolError when a worker fails.
   */
  matchingLines(pattern: string, text: string, signal?: AbortSignal): Promise<Int32Array> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (text.length === 0) return Promise.resolve(new Int32Array(0));
    const { promise, resolve, reject } = Promise.withResolvers<Int32Array>();
    const task: Task = {
      pattern,
      pieces: [],
      results: [],
      started: 0,
      served: -1,
      running: 0,
      answered: 0,
      settled: false,
      resolve,
      reject,
      signal,
      onAbort: () => this.#cancel(task, signal!.reason),
    };
    for (let at = 0, index = 0; at < text.length; index++) {
      let end = text.length;
      if (at + PIECE_CHARS < text.length) {
        const nl = text.indexOf("\n", at + PIECE_CHARS - 1);
        if (nl >= 0) end = nl + 1;
      }
      task.pieces.push({ task, index, text: text.slice(at, end), offset: at });
      at = end;
    }
    signal?.addEventListener("abort", task.onAbort, { once: true });
    this.#waiting.push(task);
    this.#pump();
    return promise;
  }

  /**
   * Terminates every worker (a busy one once it stopped its piece); pending tasks reject. The
   * pool stays usable (workers restart).
   */
  close(): void {
    for (const task of [...this.#waiting]) this.#settle(task, new RegexPoolError("pool closed"));
    for (const slot of [...this.#slots]) {
      if (slot.piece !== null) this.#settle(slot.piece.task, new RegexPoolError("pool closed"));
      this.#drop(slot);
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Hands out pieces while a worker is free (or may be started). */
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#waiting.length > 0) {
      let slot = this.#slots.find((s) => s.piece === null);
      if (slot === undefined) {
        if (this.#slots.length >= this.size) break;
        try {
          slot = this.#start();
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          const failure = new RegexPoolError(`cannot start a regex worker: ${why}`);
          for (const task of [...this.#waiting]) this.#settle(task, failure);
          break;
        }
      }
      // The task with the fewest pieces running goes next; among equals, the one served least
      // recently (a new task first).
      let pick = 0;
      for (let i = 1; i < this.#waiting.length; i++) {
        const a = this.#waiting[i]!;
        const b = this.#waiting[pick]!;
        if (a.running < b.running || (a.running === b.running && a.served < b.served)) pick = i;
      }
      const task = this.#waiting[pick]!;
      const piece = task.pieces[task.started++]!;
      if (task.started === task.pieces.length) this.#waiting.splice(pick, 1);
      task.served = this.#handedOut++;
      task.running++;
      slot.piece = piece;
      slot.id = this.#nextId++;
      Atomics.store(slot.control, 0, slot.id);
      const message: RegexTask = {
        id: slot.id,
        pattern: task.pattern,
        text: piece.text,
        offset: piece.offset,
        control: slot.control,
      };
      slot.worker.postMessage(message);
    }
    this.#idleCheck();
  }

  #start(): Slot {
    const worker = new Worker(this.#workerUrl.href, { type: "module" });
    const control = new Int32Array(new SharedArrayBuffer(4));
    const slot: Slot = { worker, piece: null, id: 0, control };
    worker.onmessage = (e: MessageEvent<RegexReply>) => this.#answer(slot, e.data);
    const fail = (e: Event, why: string) => {
      e.preventDefault();
      const task = slot.piece?.task;
      this.#drop(slot);
      if (task !== undefined) this.#settle(task, new RegexPoolError(`regex worker failed: ${why}`));
      this.#pump();
    };
    worker.onerror = (e) => fail(e, e.message);
    worker.onmessageerror = (e) => fail(e, "unreadable message");
    this.#slots.push(slot);
    return slot;
  }

  #answer(slot: Slot, reply: RegexReply): void {
    const piece = slot.piece;
    if (piece === null || reply.id !== slot.id) return; // cannot happen: one piece at a time
    slot.piece = null;
    const task = piece.task;
    task.running--;
    if (!task.settled) {
      if ("error" in reply) this.#settle(task, new RegexPoolError(reply.error));
      else if ("cancelled" in reply) this.#settle(task, new RegexPoolError("task taken back"));
      else {
        task.results[piece.index] = reply.starts;
        if (++task.answered === task.pieces.length) this.#finish(task);
      }
    }
    this.#pump();
  }

  #finish(task: Task): void {
    const results = task.results as Int32Array[];
    let starts = results[0]!;
    if (results.length > 1) {
      starts = new Int32Array(results.reduce((n, r) => n + r.length, 0));
      results.reduce((at, r) => (starts.set(r, at), at + r.length), 0);
    }
    task.settled = true;
    task.signal?.removeEventListener("abort", task.onAbort);
    task.resolve(starts);
  }

  /** Ends a task with `err`: its waiting pieces go, workers busy with its pieces stop soon. */
  #settle(task: Task, err: unknown): void {
    if (task.settled) return;
    task.settled = true;
    task.signal?.removeEventListener("abort", task.onAbort);
    this.#waiting = this.#waiting.filter((t) => t !== task);
    for (const slot of this.#slots) {
      if (slot.piece?.task === task) Atomics.store(slot.control, 0, 0);
    }
    task.reject(err);
  }

  #cancel(task: Task, reason: unknown): void {
    this.#settle(task, reason);
    this.#pump();
  }

  #drop(slot: Slot): void {
    Atomics.store(slot.control, 0, 0); // a busy worker ends its task first
    slot.worker.terminate();
    if (slot.piece !== null) slot.piece.task.running--;
    slot.piece = null;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }

  /** With nothing to do, the workers go after a while (the timer keeps no process alive). */
  #idleCheck(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#slots.length === 0 || this.#waiting.length > 0) return;
    if (this.#slots.some((s) => s.piece !== null)) return;
    const ms = this.#users > 0 ? this.#idleMs : this.#lingerMs;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      for (const slot of [...this.#slots]) if (slot.piece === null) this.#drop(slot);
    }, ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

/**
 * The start offsets of the lines of `text` that `matcher` (a regex) matches, ascending, found
 * without running re2js on this thread: a matcher on re2js matches on the pool (`pool()`); one
 * that may run re2js for some lines (`findLineWithoutRe2js`: irregexp, for lines longer than it
 * takes, and once its guard gives up) matches here up to the first such line, and the pool
 * takes that line and the rest. `pooled`: whether the pool matched any of it (the event loop
 * ran meanwhile). Rejects like `matchingLines`.
 */
export async function matchingLinesOffThread(
  matcher: Matcher,
  text: string,
  pool: () => RegexPool,
  signal?: AbortSignal,
): Promise<{ starts: Int32Array; pooled: boolean }> {
  let here = new Int32Array(64);
  let n = 0;
  let rest = matcher.engine === "re2js" ? 0 : text.length;
  for (let from = 0; from < rest;) {
    const start = matcher.findLineWithoutRe2js?.(text, from) ?? matcher.findLine(text, from);
    if (start === -1) break;
    if (start < -1) {
      rest = -2 - start;
      break;
    }
    if (n === here.length) {
      const bigger = new Int32Array(n * 2);
      bigger.set(here);
      here = bigger;
    }
    here[n++] = start;
    const nl = text.indexOf("\n", start);
    if (nl < 0) break;
    from = nl + 1;
  }
  if (rest >= text.length) return { starts: here.subarray(0, n), pooled: false };
  const away = await pool().matchingLines(matcher.pattern, text.slice(rest), signal);
  const starts = new Int32Array(n + away.length);
  starts.set(here.subarray(0, n));
  for (let i = 0; i < away.length; i++) starts[n + i] = away[i]! + rest;
  return { starts, pooled: true };
}

let shared: RegexPool | null = null;

/** The process's pool (created at the first call; it starts no worker before a task). */
export function sharedRegexPool(): RegexPool {
  return shared ??= new RegexPool();
}
