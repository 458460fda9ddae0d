import assert from "node:assert/strict";
import { ContinuousJob } from "./continuous.ts";
import { MemoryLog, okReport, testJob } from "./_test_jobs.ts";

const waitUntil = async (check: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

Deno.test("a continuous run that ends is started again, each time after a longer wait", async () => {
  const log = new MemoryLog();
  const starts: number[] = [];
  const job = new ContinuousJob(testJob({}), {
    firstDelayMs: 0,
    restartMs: 20,
    log,
    run: () => {
      starts.push(performance.now());
      return starts.length === 2 ? Promise.reject(new Error("lost")) : Promise.resolve(okReport);
    },
  });
  job.start();
  await waitUntil(() => starts.length >= 4);
  await job.stop();
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
  assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `gaps ${gaps}`);
  assert.match(log.lines.join("\n"), /ERROR\|Continuous job "nightly"\|failed\|Error: lost/);
  assert.match(log.lines.join("\n"), /WARN\|Continuous job "nightly"\|ended\|restartInMs=20/);
});

Deno.test("with RestartOnDayChange a run is stopped at midnight and restarted with the new day", async () => {
  let now = new Date(2026, 0, 31, 23, 59, 59);
  const days: string[] = [];
  const job = new ContinuousJob(testJob({ RestartOnDayChange: true }), {
    now: () => now,
    firstDelayMs: 0,
    restartMs: 60_000,
    dayCheckMs: 5,
    log: new MemoryLog(),
    run: (_job, when, signal) => {
      days.push(`${when.getMonth() + 1}/${when.getDate()}`);
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve(okReport)));
    },
  });
  job.start();
  await waitUntil(() => days.length === 1);
  now = new Date(2026, 1, 1, 0, 0, 1);
  await waitUntil(() => days.length === 2);
  await job.stop();
  assert.deepEqual(days, ["1/31", "2/1"]);
});

Deno.test("without RestartOnDayChange a run goes on across midnight", async () => {
  let now = new Date(2026, 0, 31, 23, 59, 59);
  let runs = 0;
  let ended = false;
  const job = new ContinuousJob(testJob({}), {
    now: () => now,
    firstDelayMs: 0,
    dayCheckMs: 5,
    log: new MemoryLog(),
    run: (_job, _when, signal) => {
      runs++;
      return new Promise((resolve) =>
        signal.addEventListener("abort", () => {
          ended = true;
          resolve(okReport);
        })
      );
    },
  });
  job.start();
  await waitUntil(() => runs === 1);
  now = new Date(2026, 1, 1, 0, 0, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(ended, false);
  await job.stop();
  assert.equal(runs, 1);
});
