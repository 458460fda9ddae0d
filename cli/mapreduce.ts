/**
 * MapReduce on the client (docs/query-language.md#cumulative-or-per-interval,
 * docs/query-language.md#reports): `dmap` reads whole files (cumulative, one final result) and
 * `dtail --query` follows them (each report shows the last interval, unless the query has an
 * outfile). Serverless, the map stage runs here on the same selected lines a dcat would print; over
 * SSH it runs on the servers and their AGGREGATE messages are merged here.
 */
import { LimitedWarnings } from "./limited_warnings.ts";
import type { Config } from "../core/config.ts";
import { fullHostname } from "../core/hostname.ts";
import type { BufferedOutput } from "../core/output.ts";
import {
  effectiveLogFormat,
  parseQuery,
  queryCapabilities,
  referencedVariables,
  tableFilter,
} from "../core/mapr/query.ts";
import { knownVariables, variableWarning } from "../core/mapr/logformat.ts";
import { checkOutfileWritable, clientLine } from "../core/mapr/render.ts";
import { Mapper } from "../core/mapr/mapper.ts";
import { mapFileInHalves, mapFilter } from "../core/mapr/parallel_map.ts";
import { Reporter, startReports } from "../core/mapr/reporter.ts";
import { JsonReporter } from "../core/mapr/render_json.ts";
import type { GroupSet } from "../core/mapr/aggregate.ts";
import { parseAggregate } from "../core/mapr/aggregate_wire.ts";
import type { Query } from "../core/mapr/types.ts";
import type { TimeRange } from "../core/time_spec.ts";
import type { RemoteConnection, RemoteRun } from "./remote.ts";
import type { LiveQuery, LiveSettings } from "./live_query.ts";
import { type RunResult, runServerless } from "./serverless.ts";
import { WrittenFiles } from "./output_guard.ts";

export interface QueryJob {
  readonly queryText: string;
  /** Files and globs; `-` is standard input (serverless only). */
  readonly targets: readonly string[];
  /** `cat` for dmap, `tail` for dtail --query. */
  readonly verb: "cat" | "tail";
  readonly color: boolean;
  /** The table goes to a terminal: control characters in its cells are written visibly. */
  readonly visibleControls?: boolean;
  readonly quiet: boolean;
  /** Seconds, sent as the `timeout` prefix of the read commands; 0 = none. */
  readonly timeout: number;
  /** Overrides isCumulative (continuous jobs: an outfile, yet per interval). */
  readonly cumulative?: boolean;
  /** --json: result rows as JSON lines (core/mapr/render_json.ts) instead of the table. */
  readonly json?: boolean;
  /** `--since`/`--until` (epoch ms): only the lines in the range are mapped. */
  readonly timeRange?: TimeRange | null;
  /**
   * Live output on a terminal (docs/usage.md#live-output): reports in place, dmap's progress
   * line. Absent: printed as through a pipe.
   */
  readonly live?: LiveSettings;
}

/** Reporter, or JsonReporter for --json. */
export interface QueryReporter {
  merge(groups: GroupSet): void;
  malformed: number;
  /** `final`: the run's last report (the only one a cumulative --json run prints). */
  report(final?: boolean): Promise<void>;
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
export function isCumulative(job: QueryJob, query: Query): boolean {
  return job.cumulative ?? (job.verb === "cat" || query.outfile !== null);
}

export function newReporter(
  job: QueryJob,
  query: Query,
  config: Config,
  io: QueryIO,
  remote: boolean,
  live: LiveQuery | null = null,
): QueryReporter {
  const print = live !== null ? (text: string) => live.table.report(text) : (text: string) => {
    io.out.string(text);
    io.out.flush();
  };
  if (job.json) {
    return new JsonReporter(query, { cumulative: isCumulative(job, query), print, warn: io.warn });
  }
  const host = fullHostname();
  return new Reporter(query, {
    cumulative: isCumulative(job, query),
    color: job.color,
    visibleControls: job.visibleControls ?? false,
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
export function remoteRunOf(job: QueryJob, query: Query): RemoteRun {
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
    json: job.json ?? false,
    needs: queryCapabilities(query),
    ...(job.timeRange ? { timeRange: job.timeRange } : {}),
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
  const live = job.live === undefined || job.json ? null : await startLive(job, query, config, {
    io,
    remote: connection !== null,
  });
  try {
    return await runWith(job, config, live === null ? io : { ...io, warn: live.warn }, connection, {
      query,
      live,
    });
  } finally {
    live?.end();
  }
}

/** The live output of a run on a terminal (cli/live_query.ts), or null. */
async function startLive(
  job: QueryJob,
  query: Query,
  config: Config,
  { io, remote }: { io: QueryIO; remote: boolean },
): Promise<LiveQuery | null> {
  const { startLiveQuery } = await import("./live_query.ts");
  return await startLiveQuery(
    {
      live: job.live,
      verb: job.verb,
      targets: job.targets.length > 0 ? job.targets : ["-"],
      serverless: remote
        ? null
        : { maxTargets: config.Server.MaxGlobTargets, maxDirs: config.Server.MaxGlobDirs },
      ranged: (job.timeRange ?? null) !== null,
    },
    query,
    io,
  );
}

/** runQuery once its live output (if any) is set up. */
async function runWith(
  job: QueryJob,
  config: Config,
  io: QueryIO & { readonly superseded?: AbortSignal },
  connection: RemoteConnection | null,
  { query, live }: { query: Query; live: LiveQuery | null },
): Promise<RunResult> {
  const cumulative = isCumulative(job, query);
  const reporter = newReporter(job, query, config, io, connection !== null, live);
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
    for (const note of mapper.takeSkippedNotes()) io.warn(note);
  };
  const run = mapper === null ? null : await serverlessRun(job, query, config);
  const written = new WrittenFiles({ outfile: query.outfile?.path ?? null });
  if (run !== null) {
    await written.checkTargets(run.targets, {
      maxTargets: run.maxGlobTargets,
      maxDirs: run.maxGlobDirs,
    });
  }
  const reports = startReports(query, async () => {
    collect();
    await reporter.report().catch((err) =>
      io.warn(err instanceof Error ? err.message : String(err))
    );
  });
  let result: RunResult;
  try {
    if (mapper !== null && run !== null) {
      result = await runServerless(run, io, {
        selection: (sel, id) => mapper.selection(sel, id),
        ...(live === null ? {} : { fileDone: () => live.fileDone() }),
        wholeFile: (opened, id, signal) => {
          live?.opened(opened);
          return mapFileInHalves(opened, id, mapper, {
            serverLogFormat: config.Server.MapreduceLogFormat,
            hostname: fullHostname(),
            maxLineLength: config.Server.MaxLineLength,
            signal,
          });
        },
      }, written);
    } else {
      const { runRemote } = await import("./remote.ts");
      const malformed = new LimitedWarnings(io.warn, "malformed AGGREGATE messages ignored");
      result = await runRemote(
        remoteRunOf(job, query),
        connection!,
        config,
        {
          ...io,
          aggregate: (message) => {
            const groups = parseAggregate(message, query);
            if (groups === null) {
              malformed.add(`ignoring a malformed AGGREGATE message: ${clip(message)}`);
            } else reporter.merge(groups);
          },
          malformed: (count) => (reporter.malformed += count),
          ...(live === null ? {} : { live: live.hooks }),
        },
      );
      malformed.end();
    }
  } finally {
    await reports.stop();
  }
  collect();
  // A cumulative run ends with its result; a streaming one with what arrived since the last
  // report when it ends by itself (--timeout), not when it was interrupted. A run a reload
  // replaced says nothing more.
  if (io.superseded?.aborted) return result;
  if (cumulative || !io.interrupted.aborted) await reporter.report(true);
  // Why the result is empty or a column 0, once a whole input was read.
  if (cumulative && mapper !== null && result.ok > 0) {
    for (const note of mapper.endNotes()) io.warn(note);
  }
  return result;
}

async function serverlessRun(job: QueryJob, query: Query, config: Config) {
  return {
    mode: job.verb,
    targets: job.targets.length > 0 ? job.targets : ["-"],
    filter: {
      ...await mapFilter(query, config.Server.MaxLineLength),
      ...(job.timeRange ? { timeRange: job.timeRange } : {}),
    },
    frame: { plain: true, color: false, hostname: "" },
    maxGlobTargets: config.Server.MaxGlobTargets,
    maxGlobDirs: config.Server.MaxGlobDirs,
    readerWork: "heavy", // the map stage
  } as const;
}

export function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
