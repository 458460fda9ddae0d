/**
 * --interactive-query serverless (docs/usage.md#interactive-query-reload): a reload stops the run
 * and starts the new job's; the run ends with `io.signal`.
 */
import { type ReadJob, type RunIO, runServerless } from "../serverless.ts";
import type { Workload } from "./controller.ts";
import { restartableRun } from "./restartable_run.ts";

export function serverlessWorkload(job: ReadJob, io: RunIO): Workload<ReadJob> {
  return restartableRun(
    job,
    io.signal,
    (next, signal) => runServerless(next, { ...io, signal }),
    () => io.out.flush(),
  );
}
