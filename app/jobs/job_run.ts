/**
 * One run of a scheduled or continuous job (docs/server.md#scheduled-and-continuous-jobs): a
 * MapReduce client (cli/mapreduce.ts) against the job's servers, writing the job's outfile.
 * Scheduled runs read whole files and are cumulative; continuous runs follow the files and
 * write each interval's result alone.
 */
import type { Config, JobConfig } from "../../core/config.ts";
import { BufferedOutput } from "../../core/output.ts";
import type { RemoteConnection } from "../../cli/remote.ts";
import { type JobKind, outfileOf, queryTextOf, targetsOf } from "./job_check.ts";

/** Where a job's lines go: the dserver log. */
export interface JobLog {
  info(...fields: unknown[]): unknown;
  warn(...fields: unknown[]): unknown;
  error(...fields: unknown[]): unknown;
  debug(...fields: unknown[]): unknown;
}

export interface JobRunDeps {
  readonly config: Config;
  readonly log: JobLog;
  /** How this job reaches its servers (a new one per run: it may refresh a key). */
  readonly connectionOf: (job: JobConfig) => RemoteConnection;
}

export interface RunReport {
  readonly ok: boolean;
  /** Servers that answered fully, and those that did not. */
  readonly servers: { ok: number; failed: number };
  /** Rows the run added to its outfile. */
  readonly rows: number;
  readonly ms: number;
  readonly outfile: string;
  /** Why the run failed ("" when it did not). */
  readonly error: string;
}

/**
 * Runs the job once, until it ends or `signal` stops it, and logs the outcome. A scheduled run
 * that fails or is stopped leaves no outfile behind, so that the next slot runs it again.
 */
export async function runJob(
  kind: JobKind,
  job: JobConfig,
  now: Date,
  deps: JobRunDeps,
  signal: AbortSignal,
): Promise<RunReport> {
  const started = performance.now();
  const name = `${kind} job "${job.Name}"`;
  const { path, append } = outfileOf(job, now);
  const linesBefore = append ? lineCount(path) : 0;
  const warnings: string[] = [];
  const out = new BufferedOutput((bytes) => {
    const text = new TextDecoder().decode(bytes).trim();
    if (text !== "") deps.log.debug(name, text);
  });
  let servers = { ok: 0, failed: 0 };
  let error = "";
  deps.log.info(name, "starting", `outfile=${path}`);
  try {
    const { runQuery } = await import("../../cli/mapreduce.ts");
    servers = await runQuery(
      {
        queryText: queryTextOf(job, now),
        targets: targetsOf(job, now),
        verb: kind === "Schedule" ? "cat" : "tail",
        cumulative: kind === "Schedule",
        color: false,
        quiet: true,
        timeout: 0,
      },
      deps.config,
      {
        out,
        warn: (message) => {
          warnings.push(message);
          deps.log.warn(name, message);
        },
        signal,
        interrupted: signal,
      },
      deps.connectionOf(job),
    );
    out.flush();
    if (signal.aborted && kind === "Schedule") error = "stopped before it completed";
    else if (servers.ok === 0 && !signal.aborted) {
      error = warnings.at(-1) ?? "no server completed the run";
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const ms = Math.round(performance.now() - started);
  if (error !== "" && kind === "Schedule" && !append) removeOutfile(path);
  const rows = error !== ""
    ? 0
    : Math.max(0, lineCount(path) - linesBefore - (append && linesBefore > 0 ? 0 : 1));
  if (error !== "") {
    deps.log.error(name, "failed", `durationMs=${ms}`, error);
  } else {
    deps.log.info(
      name,
      signal.aborted ? "stopped" : "done",
      `durationMs=${ms}`,
      `rows=${rows}`,
      `servers=${servers.ok}/${servers.ok + servers.failed}`,
      `outfile=${path}`,
    );
  }
  return { ok: error === "", servers, rows, ms, outfile: path, error };
}

function removeOutfile(path: string): void {
  for (const p of [path, `${path}.query`]) {
    try {
      Deno.removeSync(p);
    } catch {
      // not written
    }
  }
}

/** Lines in a file (0 when it is missing). */
function lineCount(path: string): number {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return 0;
  }
  if (text === "") return 0;
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return text.endsWith("\n") ? n : n + 1;
}
