/**
 * Waiting on Deno's own timers. The global `setTimeout` is Node's in Deno 2: its first call loads
 * `ext:deno_node/timers.ts` and some 20 modules more, 15–20 ms of CPU once per process
 * (docs/performance.md#start-up). `AbortSignal.timeout` runs on the web timers Deno has loaded
 * already, and its timer keeps the process alive while an abort listener is attached
 * (core/delay_test.ts checks both).
 */

/**
 * Resolves true after `ms`, or false as soon as `cancel` aborts (then nothing keeps the process
 * alive any more).
 */
export function delay(ms: number, cancel?: AbortSignal): Promise<boolean> {
  if (cancel?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timeout = AbortSignal.timeout(ms);
    const done = (fired: boolean) => {
      timeout.removeEventListener("abort", onTime);
      cancel?.removeEventListener("abort", onCancel);
      resolve(fired);
    };
    const onTime = () => done(true);
    const onCancel = () => done(false);
    timeout.addEventListener("abort", onTime);
    cancel?.addEventListener("abort", onCancel);
  });
}

/** Calls `tick` every `ms` until the returned function is called (as setInterval would). */
export function every(ms: number, tick: () => void): () => void {
  const stop = new AbortController();
  void (async () => {
    while (await delay(ms, stop.signal)) tick();
  })();
  return () => stop.abort();
}

/**
 * The longest a timer waits in one go (a signed 32-bit count of ms: Node's setTimeout fires a
 * longer one after 1 ms, with a warning).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` after `seconds` (any length: a deadline past ~24.8 days is waited for in steps);
 * returns what cancels it.
 */
export function armDeadline(seconds: number, fire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = (ms: number) => {
    timer = setTimeout(
      () => ms > MAX_TIMER_MS ? wait(ms - MAX_TIMER_MS) : fire(),
      Math.min(ms, MAX_TIMER_MS),
    );
  };
  wait(seconds * 1000);
  return () => clearTimeout(timer);
}
