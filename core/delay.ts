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
