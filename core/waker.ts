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

/** One watcher per directory, shared by every follower in it. */
export class DirectoryWatchers {
  readonly #dirs = new Map<string, SharedWatch>();
  constructor(readonly signal: AbortSignal) {}

  waker(dir: string): Waker {
    let shared = this.#dirs.get(dir);
    if (shared === undefined) {
      shared = new SharedWatch(dir, this.signal, () => this.#dirs.delete(dir));
      this.#dirs.set(dir, shared);
    }
    return shared.subscribe();
  }
}

class SharedWatch {
  readonly #waiters = new Set<() => void>();
  readonly #watcher: Unwatch | null;
  #users = 0;
  /** Bumped on every event, so a waiter that arrives just after one does not miss it. */
  #epoch = 0;

  constructor(dir: string, signal: AbortSignal, private readonly onEmpty: () => void) {
    // Null without inotify for this dir: the poll alone keeps followers going.
    this.#watcher = watchDirectory(dir, () => this.#wakeAll());
    signal.addEventListener("abort", () => this.#wakeAll(), { once: true });
  }

  #wakeAll(): void {
    this.#epoch++;
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  subscribe(): Waker {
    this.#users++;
    let seen = this.#epoch;
    let closed = false;
    return {
      wait: (pollMs) => {
        if (seen !== this.#epoch) {
          seen = this.#epoch;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.#waiters.delete(done);
            seen = this.#epoch;
            resolve();
          };
          const timer = setTimeout(done, this.#watcher ? pollMs : Math.min(pollMs, 50));
          this.#waiters.add(done);
        });
      },
      close: () => {
        if (closed) return;
        closed = true;
        if (--this.#users === 0) {
          this.#watcher?.();
          this.onEmpty();
        }
      },
    };
  }
}
