/**
 * Scheduled jobs (docs/server.md#scheduled-jobs): evaluated 2 s after start and then every
 * minute; a job runs when it is enabled, the local hour is in its TimeRange and its outfile
 * (dates filled in) does not exist yet, so it runs once per outfile name. A failed run leaves no
 * outfile, so the next evaluation runs it again. The clock is injectable: tests set the hour.
 */
import type { JobConfig } from "../../core/config.ts";
import { outfileOf } from "./job_check.ts";
import type { JobLog, RunReport } from "./job_run.ts";

export interface SchedulerOptions {
  readonly now?: () => Date;
  /** Delay of the first evaluation (ms, default 2000). */
  readonly firstDelayMs?: number;
  /** Time between evaluations (ms, default 60000). */
  readonly periodMs?: number;
  readonly log: JobLog;
  /** One run of a job (job_run.ts runJob). */
  readonly run: (job: JobConfig, now: Date, signal: AbortSignal) => Promise<RunReport>;
}

/** Whether `job` is due at `now`. */
export function isDue(job: JobConfig, now: Date, exists = fileExists): boolean {
  const [start, end] = job.TimeRange as [number, number];
  const hour = now.getHours();
  return job.Enable && start <= hour && hour < end && !exists(outfileOf(job, now).path);
}

export class Scheduler {
  readonly #jobs: readonly JobConfig[];
  readonly #options: SchedulerOptions;
  readonly #now: () => Date;
  readonly #running = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(jobs: readonly JobConfig[], options: SchedulerOptions) {
    this.#jobs = jobs;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  start(): void {
    const tick = (delay: number) => {
      this.#timer = setTimeout(() => {
        this.evaluate();
        tick(this.#options.periodMs ?? 60_000);
      }, delay);
    };
    tick(this.#options.firstDelayMs ?? 2000);
  }

  /** Starts every due job not running already; resolves when those runs have ended. */
  evaluate(): Promise<void> {
    const now = this.#now();
    const started: Promise<void>[] = [];
    for (const job of this.#jobs) {
      if (this.#stop.signal.aborted || this.#running.has(job.Name)) continue;
      let due: boolean;
      try {
        due = isDue(job, now);
      } catch (err) {
        this.#options.log.error(`Schedule job "${job.Name}"`, "cannot evaluate", String(err));
        continue;
      }
      if (!due) continue;
      const run = this.#options.run(job, now, this.#stop.signal).then(
        () => {},
        (err) => void this.#options.log.error(`Schedule job "${job.Name}"`, "failed", String(err)),
      ).finally(() => this.#running.delete(job.Name));
      this.#running.set(job.Name, run);
      started.push(run);
    }
    return Promise.all(started).then(() => {});
  }

  /** Stops evaluating and cancels the runs under way. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#stop.abort();
    await Promise.all(this.#running.values());
  }
}

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
