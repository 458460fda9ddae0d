/**
 * A connection's deadline that stops while the user is asked about a host key (the trust prompt),
 * on Deno's web timers (core/delay.ts): used by both SSH clients.
 */
import { delay } from "../../core/delay.ts";

export class PausableDeadline {
  onExpire: () => void = () => {};
  #left: number;
  #since = 0;
  #stop: AbortController | null = null;

  constructor(readonly totalMs: number) {
    this.#left = totalMs;
  }

  start(): void {
    this.#clear();
    this.#since = Date.now();
    const stop = new AbortController();
    this.#stop = stop;
    void delay(Math.max(0, this.#left), stop.signal).then((fired) => {
      if (fired) this.onExpire();
    });
  }

  pause(): void {
    if (this.#stop === null) return;
    this.#clear();
    this.#left -= Date.now() - this.#since;
  }

  stop(): void {
    this.#clear();
  }

  #clear(): void {
    this.#stop?.abort();
    this.#stop = null;
  }
}
