/**
 * Wakes followers when something may have changed on disk: inotify events on the directory
 * (sub-millisecond, core/inotify.ts), a slow poll as a safety net, or cancellation.
 */
import { type Unwatch, watchDirectory } from "./inotify.ts";

export interface Waker {
  /** Resolves on the next event for the watched directory, after `pollMs`, or on abort. */
  wait(pollMs: number): Promise<void>;
  close(): void;
}

/** A session's glob expansions pause this many times as long as each took (a fifth of the time). */
const RESCAN_PAUSE = 4;
/** Pauses shorter than this add up until they are worth a timer (many quick expansions). */
const MIN_PAUSE_MS = 5;
const MAX_PAUSE_MS = 10_000;

/** One watcher per directory, shared by every follower in it. */
export class DirectoryWatchers {
  readonly #dirs = new Map<string, SharedWatch>();
  /** Resolves when the next glob expansion of these followers may start (`paced`). */
  #gate: Promise<void> = Promise.resolve();
  /** The pause the expansions since the last one have earned, in ms. */
  #owed = 0;
  constructor(readonly signal: AbortSignal) {}

  /**
   * Runs a glob expansion of these followers (one session's) after the one before it, and keeps
   * the next waiting RESCAN_PAUSE times as long as it took (quick ones add up to a pause): a
   * thousand follows of globs over thousands of directories, or of missing directories polled every
   * 50 ms, take at most a fifth of the time, one after the other, whatever their rescan interval.
   */
  async paced<T>(work: () => Promise<T>): Promise<T> {
    const before = this.#gate;
    let open = () => {};
    this.#gate = new Promise<void>((resolve) => open = resolve);
    await before;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#owed += (performance.now() - started) * RESCAN_PAUSE;
      this.#reopen(open);
    }
  }

  /** Opens the gate after the pause owed, once it is worth a timer (short ones add up). */
  #reopen(open: () => void): void {
    if (this.#owed < MIN_PAUSE_MS || this.signal.aborted) return open();
    const pauseMs = this.#owed;
    this.#owed = 0;
    const onAbort = () => {
      clearTimeout(timer);
      open();
    };
    const timer = setTimeout(() => {
      this.signal.removeEventListener("abort", onAbort);
      open();
    }, Math.min(pauseMs, MAX_PAUSE_MS));
    this.signal.addEventListener("abort", onAbort, { once: true });
  }

  waker(dir: string): Waker {
    let shared = this.#dirs.get(dir);
    if (shared === undefined) {
      shared = new SharedWatch(dir, this.signal, () => this.#dirs.delete(dir));
      this.#dirs.set(dir, shared);
    }
    return shared.subscribe();
  }
}

/**
 * The followers of one directory wait together: one promise and one poll timer per round (a
 * glob of a thousand files: one timer, not a thousand). A round ends on an event, at the
 * earliest poll asked for, or on abort; a poll can thus come early, never late.
 */
class SharedWatch {
  readonly #watcher: Unwatch | null;
  #users = 0;
  /** Bumped on every event, so a waiter that arrives just after one does not miss it. */
  #epoch = 0;
  #round: Round | null = null;

  constructor(dir: string, signal: AbortSignal, private readonly onEmpty: () => void) {
    // Null without inotify for this dir: the poll alone keeps followers going.
    this.#watcher = watchDirectory(dir, () => this.#wakeAll());
    signal.addEventListener("abort", () => this.#wakeAll(), { once: true });
  }

  #wakeAll(): void {
    this.#epoch++;
    this.#endRound();
  }

  #endRound(): void {
    const round = this.#round;
    if (round === null) return;
    this.#round = null;
    clearTimeout(round.timer);
    round.resolve(this.#epoch);
  }

  /** The round a waiter joins, ending `ms` from now at the latest. */
  #join(ms: number): Promise<number> {
    const due = performance.now() + ms;
    const round = this.#round;
    if (round === null) {
      let resolve!: (epoch: number) => void;
      const promise = new Promise<number>((r) => resolve = r);
      const timer = setTimeout(() => this.#endRound(), ms);
      this.#round = { promise, resolve, due, timer };
      return promise;
    }
    if (due < round.due) {
      clearTimeout(round.timer);
      round.due = due;
      round.timer = setTimeout(() => this.#endRound(), ms);
    }
    return round.promise;
  }

  subscribe(): Waker {
    this.#users++;
    let seen = this.#epoch;
    let closed = false;
    return {
      wait: async (pollMs) => {
        if (seen !== this.#epoch) {
          seen = this.#epoch;
          return;
        }
        seen = await this.#join(this.#watcher ? pollMs : Math.min(pollMs, 50));
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (--this.#users === 0) {
          this.#endRound();
          this.#watcher?.();
          this.onEmpty();
        }
      },
    };
  }
}

interface Round {
  readonly promise: Promise<number>;
  readonly resolve: (epoch: number) => void;
  due: number;
  timer: ReturnType<typeof setTimeout>;
}
