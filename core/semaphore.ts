/** A counting semaphore for the server-wide MaxConcurrentCats/MaxConcurrentTails limits. */

/** A granted slot; disposing of it gives it back (once, whatever happens to its holder). */
export interface Slot extends Disposable {
  release(): void;
}

export class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    this.#free = Math.max(1, size);
  }

  /** Slots free right now (0 while anyone waits). */
  get free(): number {
    return this.#free;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for a slot; null when `signal` aborted first (also when it was aborted already), so a
   * waiter whose session is gone never takes a slot. Hold it with `using`.
   */
  async take(signal?: AbortSignal): Promise<Slot | null> {
    return await this.acquire(signal) ? this.#slot() : null;
  }

  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.#free > 0) {
      this.#free--;
      return true;
    }
    return await new Promise<boolean>((resolve) => {
      const grant = () => {
        signal?.removeEventListener("abort", cancel);
        resolve(true);
      };
      const cancel = () => {
        const i = this.#waiters.indexOf(grant);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(false);
      };
      this.#waiters.push(grant);
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }

  #slot(): Slot {
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.release();
    };
    return { release, [Symbol.dispose]: release };
  }
}
