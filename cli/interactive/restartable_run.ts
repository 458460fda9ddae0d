/**
 * Reload in serverless mode (docs/usage.md#interactive-query-reload): this process is the server,
 * so a reload is what a server does for SESSION UPDATE, in process: the run of the old job is
 * stopped and waited for (nothing of it is printed after the reload is acknowledged), then the new
 * job runs. A run that finished its files stays finished until the next reload or the stop.
 */
import type { RunResult } from "../../core/run.ts";
import type { Workload } from "./controller.ts";

/**
 * `run` reads a job until its signal aborts; `superseded` aborts only when a reload replaces it
 * (a query then skips its final report). `flush` writes out what the stopped run printed.
 */
export function restartableRun<J>(
  job: J,
  stop: AbortSignal,
  run: (job: J, signal: AbortSignal, superseded: AbortSignal) => Promise<RunResult>,
  flush: () => void,
): Workload<J> {
  let generation = 1;
  let fail: (err: unknown) => void = () => {};
  const start = (next: J) => {
    const replaced = new AbortController();
    const running = run(next, AbortSignal.any([stop, replaced.signal]), replaced.signal);
    // A run that fails on its own (not because it was replaced) fails the whole run.
    running.catch((err) => {
      if (!replaced.signal.aborted || stop.aborted) fail(err);
    });
    return { replaced, running };
  };
  let current = start(job);
  const done = new Promise<RunResult>((resolve, reject) => {
    fail = reject;
    const end = () => current.running.then(resolve, reject);
    if (stop.aborted) end();
    else stop.addEventListener("abort", end, { once: true });
  });
  return {
    async reload(next: J) {
      if (stop.aborted) throw new Error("the run is ending");
      current.replaced.abort();
      await current.running.catch(() => {});
      flush();
      if (stop.aborted) throw new Error("the run is ending");
      current = start(next);
      generation++;
    },
    capable: () => ({ capable: 1, total: 1 }),
    generation: () => generation,
    details: () => [],
    done,
  };
}
