/**
 * dmap and dtail --query with --interactive-query: the run a reload replaces (serverless) or
 * updates (over SSH). Apart from cli/mapreduce.ts so that a plain dmap loads none of this.
 */
import type { Config } from "../../core/config.ts";
import { startReports } from "../../core/mapr/reporter.ts";
import { parseAggregate } from "../../core/mapr/aggregate_wire.ts";
import type { RemoteConnection } from "../remote.ts";
import type { RemoteJob } from "../session/command_frames.ts";
import {
  clip,
  isCumulative,
  newReporter,
  planQuery,
  type QueryIO,
  type QueryJob,
  remoteRunOf,
  runQuery,
} from "../mapreduce.ts";
import type { Workload } from "./controller.ts";
import { restartableRun } from "./restartable_run.ts";
import { SessionFleet } from "./session_fleet.ts";
import { LimitedWarnings } from "../limited_warnings.ts";

type Reports = ReturnType<typeof startReports>;

/**
 * dmap or dtail --query with --interactive-query (docs/usage.md#interactive-query-reload).
 * Serverless, a reload replaces the run. Over SSH the sessions take SESSION UPDATE, and each job
 * has its own MapReduce state (query, group set, report cycle): a server's AGGREGATE messages
 * go to the state of the job it acknowledged last, and the new state replaces the old once every
 * server took the new job; messages of any other job are dropped.
 */
export function interactiveQuery(
  job: QueryJob,
  config: Config,
  io: QueryIO,
  connection: RemoteConnection | null,
  remote: typeof import("./remote_workload.ts") | null,
): Workload<QueryJob> {
  if (connection === null || remote === null) {
    return restartableRun(
      job,
      io.signal,
      (next, signal, superseded) => runQuery(next, config, { ...io, signal, superseded }, null),
      () => io.out.flush(),
    );
  }
  const stateOf = (next: QueryJob) => {
    const query = planQuery(next.queryText, io.warn);
    const run = remoteRunOf(next, query);
    const reporter = newReporter(next, query, config, io, true);
    return {
      job: next,
      query,
      run,
      remoteJob: remote.remoteJobOf(run),
      reporter,
      reports: null as Reports | null,
    };
  };
  type State = ReturnType<typeof stateOf>;
  const startCycle = (state: State) => {
    state.reports = startReports(state.query, async () => {
      await state.reporter.report().catch((err) =>
        io.warn(err instanceof Error ? err.message : String(err))
      );
    });
  };
  let current = stateOf(job);
  let pending: State | null = null;
  const stateFor = (remoteJob: RemoteJob) =>
    remoteJob === current.remoteJob ? current : remoteJob === pending?.remoteJob ? pending : null;
  const fleet = new SessionFleet(current.remoteJob);
  const malformed = new LimitedWarnings(io.warn, "malformed AGGREGATE messages ignored");
  startCycle(current);
  const workload = remote.interactiveRemote(current.run, connection, config, {
    ...io,
    fleet,
    aggregate: (message, remoteJob) => {
      const state = stateFor(remoteJob);
      if (state === null) return; // of a job no longer wanted
      const groups = parseAggregate(message, state.query);
      if (groups === null) {
        malformed.add(`ignoring a malformed AGGREGATE message: ${clip(message)}`);
      } else state.reporter.merge(groups);
    },
    malformed: (count, remoteJob) => {
      const state = stateFor(remoteJob);
      if (state !== null) state.reporter.malformed += count;
    },
  }, {
    // The run given is pending's (see reload below), whose state is made already.
    reload: async (_run, fleet) => {
      const next = pending!;
      await fleet.reload(next.remoteJob, {
        settle: async (committed) => {
          pending = null;
          if (committed !== next.remoteJob) return;
          const old = current;
          current = next;
          await old.reports?.stop();
          startCycle(current);
        },
      });
    },
  });
  const done = workload.done.then(async (result) => {
    await current.reports?.stop();
    if (isCumulative(current.job, current.query) || !io.interrupted.aborted) {
      await current.reporter.report();
    }
    return result;
  });
  return {
    ...workload,
    reload: async (next: QueryJob) => {
      pending = stateOf(next);
      try {
        await workload.reload(pending.run);
      } finally {
        pending = null;
      }
    },
    done,
  };
}
