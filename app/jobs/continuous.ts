/**
 * Continuous jobs (docs/server.md#continuous-jobs): started 2 s after the server, kept running;
 * when a run ends by itself it is started again after a backoff (1 minute, doubling while runs
 * keep ending quickly, at most 10 minutes). With RestartOnDayChange a run is stopped when the
 * local day changes and started again at once, with the new day's dates. The clock is injectable.
 */
import type { JobConfig } from "../../core/config.ts";
import { localDay } from "./job_dates.ts";
import type { JobLog, RunReport } from "./job_run.ts";
import { delay as sleep } from "../../core/delay.ts";

export interface ContinuousOptions {
  readonly now?: () => Date;
  /** Delay of the first run (ms, default 2000). */
  readonly firstDelayMs?: number;
  /** First restart delay after a run ended (ms, default 60000); doubles up to 10×. */
  readonly restartMs?: number;
  /** How often the day is compared (ms, default 1000). */
  readonly dayCheckMs?: number;
  readonly log: JobLog;
  readonly run: (job: JobConfig, now: Date, signal: AbortSignal) => Promise<RunReport>;
}

export class ContinuousJob {
  readonly #job: JobConfig;
  readonly #options: ContinuousOptions;
  readonly #now: () => Date;
  readonly #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  /** Runs started so far (tests). */
  runs = 0;

  constructor(job: JobConfig, options: ContinuousOptions) {
    this.#job = job;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  start(): void {
    this.#loop = this.#keepRunning().catch((err) =>
      void this.#options.log.error(this.#label, "stopped for good", String(err))
    );
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  get #label(): string {
    return `Continuous job "${this.#job.Name}"`;
  }

  async #keepRunning(): Promise<void> {
    const stopped = this.#stop.signal;
    const base = this.#options.restartMs ?? 60_000;
    let delay = base;
    await sleep(this.#options.firstDelayMs ?? 2000, stopped);
    while (!stopped.aborted) {
      const now = this.#now();
      const day = localDay(now);
      const run = new AbortController();
      let dayChanged = false;
      const watch = this.#job.RestartOnDayChange
        ? setInterval(() => {
          if (localDay(this.#now()) === day) return;
          dayChanged = true;
          run.abort();
        }, this.#options.dayCheckMs ?? 1000)
        : undefined;
      const began = performance.now();
      this.runs++;
      try {
        await this.#options.run(this.#job, now, AbortSignal.any([stopped, run.signal]));
      } catch (err) {
        this.#options.log.error(this.#label, "failed", String(err));
      } finally {
        clearInterval(watch);
      }
      if (stopped.aborted) return;
      if (dayChanged) {
        this.#options.log.info(this.#label, "the day changed: restarting with the new dates");
        delay = base;
        continue;
      }
      if (performance.now() - began > 10 * base) delay = base;
      this.#options.log.warn(this.#label, "ended", `restartInMs=${delay}`);
      await sleep(delay, stopped);
      delay = Math.min(delay * 2, 10 * base);
    }
  }
}
