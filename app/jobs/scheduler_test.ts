import assert from "node:assert/strict";
import { isDue, Scheduler } from "./scheduler.ts";
import { MemoryLog, okReport, testJob } from "./_test_jobs.ts";

const at = (hour: number, minute = 0) => new Date(2026, 5, 15, hour, minute);
const missing = () => false;

Deno.test("a job is due only from its start hour up to, not including, its end hour", () => {
  const job = testJob({ TimeRange: [5, 7] });
  assert.equal(isDue(job, at(4, 59), missing), false);
  assert.equal(isDue(job, at(5, 0), missing), true);
  assert.equal(isDue(job, at(6, 59), missing), true);
  assert.equal(isDue(job, at(7, 0), missing), false);
});

Deno.test("a job whose dated outfile exists, or that is disabled, is not due", () => {
  const job = testJob({ Outfile: "/data/out_$today.csv" });
  const seen: string[] = [];
  assert.equal(isDue(job, at(12), (p) => (seen.push(p), true)), false);
  assert.deepEqual(seen, ["/data/out_20260615.csv"]);
  assert.equal(isDue(testJob({ Enable: false }), at(12), missing), false);
});

Deno.test("the scheduler runs what is due at the injected time, once at a time per job", async () => {
  let now = at(3);
  const runs: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const dir = await Deno.makeTempDir();
  const scheduler = new Scheduler([
    testJob({ Name: "early", TimeRange: [3, 4], Outfile: `${dir}/early.csv` }),
    testJob({ Name: "late", TimeRange: [22, 24], Outfile: `${dir}/late.csv` }),
  ], {
    now: () => now,
    log: new MemoryLog(),
    run: async (job, when) => {
      runs.push(`${job.Name}@${when.getHours()}`);
      await held;
      return okReport;
    },
  });
  const first = scheduler.evaluate();
  const second = scheduler.evaluate(); // "early" is still running: not started twice
  release();
  await Promise.all([first, second]);
  now = at(23);
  await scheduler.evaluate();
  assert.deepEqual(runs, ["early@3", "late@23"]);
  await scheduler.stop();
});

Deno.test("a run that throws is logged and the job is evaluated again next time", async () => {
  const log = new MemoryLog();
  let calls = 0;
  const dir = await Deno.makeTempDir();
  const scheduler = new Scheduler([testJob({ Outfile: `${dir}/x.csv` })], {
    now: () => at(12),
    log,
    run: () => {
      calls++;
      return Promise.reject(new Error("boom"));
    },
  });
  await scheduler.evaluate();
  await scheduler.evaluate();
  assert.equal(calls, 2);
  assert.match(log.lines.join("\n"), /ERROR\|Schedule job "nightly"\|failed\|Error: boom/);
  await scheduler.stop();
});
