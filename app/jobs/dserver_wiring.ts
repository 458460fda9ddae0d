/**
 * How app/run_program.ts starts dserver with its jobs: the jobs start once the server listens
 * (they need its port) and stop on SIGINT/SIGTERM before the server closes its connections, so
 * that a continuous job's session does not hold the shutdown up.
 */
import type { Config } from "../../core/config.ts";
import type { DserverContext, DserverDeps } from "../../server/process/dserver.ts";
import { userName } from "../../server/access/user_lookup.ts";
import type { DserverJobs } from "./dserver_jobs.ts";

export interface JobsWiring {
  /** `deps` with the shell handler and onListening hooked. */
  readonly deps: DserverDeps;
  /** Stops the jobs (after the server has stopped). */
  finish(): Promise<void>;
}

export function wireJobs(
  config: Config,
  bindAddress: string,
  deps: DserverDeps,
  stderr: (line: string) => void,
): JobsWiring {
  if (config.Server.Schedule.length + config.Server.Continuous.length === 0) {
    return { deps, finish: () => Promise.resolve() };
  }
  let context: DserverContext | null = null;
  let jobs: Promise<DserverJobs> | null = null;
  const stop = () => void jobs?.then((j) => j.stop());
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  return {
    deps: {
      ...deps,
      shellHandler: (ctx) => {
        context = ctx;
        return deps.shellHandler(ctx);
      },
      onListening: (port) => {
        deps.onListening?.(port);
        const ctx = context!;
        jobs = import("./dserver_jobs.ts").then(({ startDserverJobs }) =>
          startDserverJobs({
            config,
            log: ctx.log,
            authKeys: ctx.authKeys,
            user: userName(Deno.uid()!),
            bindAddress,
            port,
            stderr,
          })
        ).catch((err) => {
          ctx.log.error("cannot start the jobs", String(err));
          return { stop: () => Promise.resolve() };
        });
      },
    },
    async finish() {
      for (const s of signals) Deno.removeSignalListener(s, stop);
      await (await jobs)?.stop();
    },
  };
}
