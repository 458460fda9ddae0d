/**
 * MapReduce on the client (docs/query-language.md#cumulative-or-per-interval,
 * docs/query-language.md#reports): `dmap` reads whole files (cumulative, one final result) and
 * `dtail --query` follows them (each report shows the last interval, unless the query has an
 * outfile). Serverless, the map stage runs here on the same selected lines a dcat would print; over
 * SSH it runs on the servers and their AGGREGATE messages are merged here.
 */
import type { Config } from "../core/config.ts";
import { fullHostname } from "../core/hostname.ts";
import type { BufferedOutput } from "../core/output.ts";
import {
  effectiveLogFormat,
  parseQuery,
  referencedVariables,
  tableFilter,
} from "../core/mapr/query.ts";
import { knownVariables, variableWarning } from "../core/mapr/logformat.ts";
import { checkOutfileWritable, clientLine } from "../core/mapr/render.ts";
import { Mapper } from "../core/mapr/mapper.ts";
import { mapFileInHalves, mapFilter } from "../core/mapr/parallel_map.ts";
import { Reporter, startReports } from "../core/mapr/reporter.ts";
import { parseAggregate } from "../core/mapr/aggregate_wire.ts";
import type { Query } from "../core/mapr/types.ts";
import type { RemoteConnection, RemoteRun } from "./remote.ts";
import type { RemoteJob } from "./session/command_frames.ts";
import { type RunResult, runServerless } from "./serverless.ts";
import type { Workload } from "./interactive/controller.ts";
import { restartableRun } from "./interactive/restartable_run.ts";
import { SessionFleet } from "./interactive/session_fleet.ts";

export interface QueryJob {
  readonly queryText: string;
  /** Files and globs; `-` is standard input (serverless only). */
  readonly targets: readonly string[];
  /** `cat` for dmap, `tail` for dtail --query. */
  readonly verb: "cat" | "tail";
  readonly color: boolean;
  readonly quiet: boolean;
  /** Seconds, sent as the `timeout` prefix of the read commands; 0 = none. */
  readonly timeout: number;
}

export interface QueryIO {
  readonly out: BufferedOutput;
  readonly warn: (message: string) => void;
  /** Ends the run: Ctrl-C, or the --timeout of dtail --query. */
  readonly signal: AbortSignal;
  /** Aborted by Ctrl-C/SIGTERM only: a streaming query then skips its last report. */
  readonly interrupted: AbortSignal;
}

/** Parses and checks the query before any file is read (errors are usage errors, exit 2). */
export function planQuery(text: string, warn: (message: string) => void): Query {
  const query = parseQuery(text);
  if (query.outfile !== null) checkOutfileWritable(query.outfile.path, query.outfile.append);
  const format = effectiveLogFormat(query, "default");
  const known = knownVariables(format);
  const assigned = new Set(query.set.map((a) => a.target));
  for (const v of referencedVariables(query)) {
    if (!known.has(v) && !assigned.has(v)) warn(variableWarning(v, format));
  }
  return query;
}

/** Whether every report shows everything so far (dmap, an outfile) rather than the last interval. */
function isCumulative(job: QueryJob, query: Query): boolean {
  return job.verb === "cat" || query.outfile !== null;
}

function newReporter(
  job: QueryJob,
  query: Query,
  config: Config,
  io: QueryIO,
  remote: boolean,
): Reporter {
  const print = (text: string) => {
    io.out.string(text);
    io.out.flush();
  };
  const host = fullHostname();
  return new Reporter(query, {
    cumulative: isCumulative(job, query),
    color: job.color,
    colors: config.Client.TermColors,
    print,
    // As the Go client: over SSH each outfile write logs `CLIENT|host|INFO|Writing to outfile|…`
    // lines on stdout; serverless it prints nothing.
    ...(!remote ? {} : {
      outfileNote: (text: string) =>
        print(clientLine(host, "INFO", text, job.color ? config.Client.TermColors : null)),
    }),
  });
}

/** What the servers are sent for a query: its table as the read filter, the map stage first. */
function remoteRunOf(job: QueryJob, query: Query): RemoteRun {
  const filter = tableFilter(query);
  return {
    verb: job.verb,
    targets: job.targets,
    pattern: filter === "." ? "" : filter,
    invert: false,
    before: 0,
    after: 0,
    max: 0,
    plain: false,
    quiet: job.quiet,
    color: job.color,
    query: job.queryText,
    timeout: job.timeout,
  };
}

/** Runs the query serverless (`connection` null) or against the servers it names. */
export async function runQuery(
  job: QueryJob,
  config: Config,
  io: QueryIO & {
    /** Interactive serverless runs: aborted when a reload replaces the run (no final report). */
    readonly superseded?: AbortSignal;
  },
  connection: RemoteConnection | null,
): Promise<RunResult> {
  const query = planQuery(job.queryText, io.warn);
  const cumulative = isCumulative(job, query);
  const reporter = newReporter(job, query, config, io, connection !== null);
  const host = fullHostname();
  const mapper = connection === null
    ? new Mapper(query, {
      serverLogFormat: config.Server.MapreduceLogFormat,
      hostname: host,
      warn: io.warn,
    })
    : null;
  const collect = () => {
    if (mapper === null) return;
    reporter.merge(mapper.takeGroups());
    reporter.malformed = mapper.malformed;
  };
  const reports = startReports(query, async () => {
    collect();
    await reporter.report().catch((err) =>
      io.warn(err instanceof Error ? err.message : String(err))
    );
  });
  let result: RunResult;
  try {
    if (mapper !== null) {
      const run = serverlessRun(job, query, config);
      result = await runServerless(run, io, {
        selection: (sel, id) => mapper.selection(sel, id),
        wholeFile: (opened, id, signal) =>
          mapFileInHalves(opened, id, mapper, {
            serverLogFormat: config.Server.MapreduceLogFormat,
            hostname: fullHostname(),
            maxLineLength: config.Server.MaxLineLength,
            signal,
          }),
      });
    } else {
      const { runRemote } = await import("./remote.ts");
      result = await runRemote(
        remoteRunOf(job, query),
        connection!,
        config,
        {
          ...io,
          aggregate: (message) => {
            const groups = parseAggregate(message, query);
            if (groups === null) {
              io.warn(`ignoring a malformed AGGREGATE message: ${clip(message)}`);
            } else reporter.merge(groups);
          },
          malformed: (count) => (reporter.malformed += count),
        },
      );
    }
  } finally {
    await reports.stop();
  }
  collect();
  // A cumulative run ends with its result; a streaming one with what arrived since the last
  // report when it ends by itself (--timeout), not when it was interrupted. A run a reload
  // replaced says nothing more.
  if (io.superseded?.aborted) return result;
  if (cumulative || !io.interrupted.aborted) await reporter.report();
  return result;
}

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
  remote: typeof import("./remote.ts") | null,
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
  startCycle(current);
  const workload = remote.interactiveRemote(current.run, connection, config, {
    ...io,
    fleet,
    aggregate: (message, remoteJob) => {
      const state = stateFor(remoteJob);
      if (state === null) return; // of a job no longer wanted
      const groups = parseAggregate(message, state.query);
      if (groups === null) io.warn(`ignoring a malformed AGGREGATE message: ${clip(message)}`);
      else state.reporter.merge(groups);
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

type Reports = ReturnType<typeof startReports>;

function serverlessRun(job: QueryJob, query: Query, config: Config) {
  return {
    mode: job.verb,
    targets: job.targets.length > 0 ? job.targets : ["-"],
    filter: mapFilter(query, config.Server.MaxLineLength),
    frame: { plain: true, color: false, hostname: "" },
    maxGlobTargets: config.Server.MaxGlobTargets,
    maxGlobDirs: config.Server.MaxGlobDirs,
  } as const;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
