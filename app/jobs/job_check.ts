/**
 * Start-up checks of dserver's job entries (docs/server.md#scheduled-and-continuous-jobs): each bad
 * entry is one line naming the job and what is wrong; that job is skipped, the others run.
 */
import type { Config, JobConfig } from "../../core/config.ts";
import { parseQuery } from "../../core/mapr/query.ts";
import { serverList } from "../../cli/ssh/server_list.ts";
import { compileRegex } from "../../core/matcher.ts";
import { fillDates } from "./job_dates.ts";

export type JobKind = "Schedule" | "Continuous";

/** A job that passed the checks. */
export interface CheckedJob {
  readonly kind: JobKind;
  readonly job: JobConfig;
}

export interface JobCheck {
  readonly jobs: CheckedJob[];
  /** One line per skipped entry. */
  readonly problems: string[];
}

/** Checks every `Server.Schedule` and `Server.Continuous` entry. */
export function checkJobs(config: Config, now = new Date()): JobCheck {
  const jobs: CheckedJob[] = [];
  const problems: string[] = [];
  for (const kind of ["Schedule", "Continuous"] as const) {
    const names = new Set<string>();
    config.Server[kind].forEach((job, index) => {
      const label = job.Name === "" ? `Server.${kind}[${index}]` : `${kind} job "${job.Name}"`;
      const problem = problemOf(kind, job, config.Common.SSHPort, now) ??
        (names.has(job.Name) ? "its Name is used by another job of the same kind" : null);
      names.add(job.Name);
      if (problem === null) jobs.push({ kind, job });
      else problems.push(`${label}: ${problem}; the job is skipped`);
    });
  }
  return { jobs, problems };
}

/** What is wrong with one entry, or null. */
export function problemOf(
  kind: JobKind,
  job: JobConfig,
  defaultPort: number,
  now: Date,
): string | null {
  if (job.problem !== "") return job.problem;
  if (job.Name.trim() === "") return "Name is missing";
  if (job.Files.split(",").every((f) => f.trim() === "")) return "Files is missing";
  if (job.Outfile.trim() === "") return "Outfile is missing";
  if (job.Query.trim() === "") return "Query is missing";
  try {
    if (parseQuery(job.Query).outfile !== null) {
      return "Query has an outfile clause: the outfile is given by Outfile";
    }
    parseQuery(queryTextOf(job, now));
  } catch (err) {
    return `bad Query: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (kind === "Schedule") {
    const [start, end] = job.TimeRange;
    const hour = (n: number | undefined) => Number.isInteger(n) && n! >= 0 && n! <= 24;
    if (job.TimeRange.length !== 2 || !hour(start) || !hour(end) || start! >= end!) {
      return `TimeRange must be [startHour, endHour] with 0 <= startHour < endHour <= 24, got ${
        JSON.stringify(job.TimeRange)
      }`;
    }
  }
  for (const server of job.Servers) {
    try {
      if (server.trim() === "" || /\s/.test(server)) throw new Error(`bad server "${server}"`);
      const regex = /^\/.*\/$/.test(server);
      // A path: a server list file or inventory (`FILE:group`), which must exist.
      const file = server.replace(/:[^:/]*$/, "");
      if (server.includes("/") && !regex && !isFile(server) && !isFile(file)) {
        throw new Error(`server list file ${server} not found`);
      }
      // One entry, host patterns and inventories included, as the run will read it.
      if (!regex) serverList({ servers: server, defaultPort, compileRegex });
    } catch (err) {
      return `bad Servers entry: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (job.Servers.length > 0 || job.Discovery !== "") {
    try {
      const list = serverList({
        compileRegex,
        servers: job.Servers.join(","),
        discovery: job.Discovery,
        defaultPort,
      });
      if (list.length === 0) return "Servers and Discovery name no server";
    } catch (err) {
      return `bad Servers or Discovery: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The query a run sends: `<Query> outfile <Outfile>`, the outfile's dates filled in. */
export function queryTextOf(job: JobConfig, now: Date): string {
  return `${job.Query.trim()} outfile ${fillDates(job.Outfile.trim(), now)}`;
}

/** The outfile a run writes, and whether it appends. */
export function outfileOf(job: JobConfig, now: Date): { path: string; append: boolean } {
  return parseQuery(queryTextOf(job, now)).outfile!;
}

/** The files and globs a run reads, their dates filled in. */
export function targetsOf(job: JobConfig, now: Date): string[] {
  return fillDates(job.Files, now).split(",").map((f) => f.trim()).filter((f) => f !== "");
}
