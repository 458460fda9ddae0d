/** Test helpers for app/jobs: a job entry, a log that keeps its lines, a settable clock. */
import { type JobConfig, parseJob } from "../../core/config.ts";
import type { JobLog, RunReport } from "./job_run.ts";

export function testJob(fields: Record<string, unknown>): JobConfig {
  return parseJob({
    Name: "nightly",
    Enable: true,
    Files: "/var/log/app.log",
    Query: "from STATS select count($line) group by $hostname",
    Outfile: "/nonexistent/out.csv",
    TimeRange: [0, 24],
    ...fields,
  });
}

export class MemoryLog implements JobLog {
  lines: string[] = [];
  #add = (level: string) => (...fields: unknown[]) => this.lines.push([level, ...fields].join("|"));
  info = this.#add("INFO");
  warn = this.#add("WARN");
  error = this.#add("ERROR");
  debug = this.#add("DEBUG");
}

export const okReport: RunReport = {
  ok: true,
  servers: { ok: 1, failed: 0 },
  rows: 1,
  ms: 1,
  outfile: "",
  error: "",
};
