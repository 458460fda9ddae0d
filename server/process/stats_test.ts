import assert from "node:assert/strict";
import { goDuration, statsFields, StatsReporter } from "./stats.ts";
import { memoryLog } from "../ssh/_test_ssh.ts";

Deno.test("uptimes are written like Go durations", () => {
  assert.equal(goDuration(0), "0s");
  assert.equal(goDuration(21), "21s");
  assert.equal(goDuration(185), "3m5s");
  assert.equal(goDuration(471 * 3600 + 21), "471h0m21s");
});

Deno.test("the stats fields follow the MAPREDUCE:STATS layout", () => {
  const fields = statsFields({ current: 3, lifetime: 7, preAuth: 1 });
  assert.equal(fields.length, 11);
  assert.equal(fields[0], String(Deno.pid));
  assert.equal(fields[1], "stats.ts:1");
  assert.match(fields[2]!, /^[1-9][0-9]*$/);
  assert.equal(fields[3], "4");
  assert.equal(fields[4], "0");
  assert.deepEqual(fields.slice(7), [
    "MAPREDUCE:STATS",
    "currentConnections=3",
    "lifetimeConnections=7",
    "preAuthConnections=1",
  ]);
});

Deno.test("the reporter logs a whole stats line at INFO", () => {
  const { log, lines } = memoryLog("info");
  const stats = new StatsReporter(log, () => ({ current: 0, lifetime: 2, preAuth: 0 }));
  stats.changed();
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^INFO\|\d{4}-\d{6}\|\d+\|stats\.ts:1\|\d+\|1\|0\|[0-9.]*\|[0-9hms]*\|MAPREDUCE:STATS\|currentConnections=0\|lifetimeConnections=2\|preAuthConnections=0$/,
  );
});

Deno.test("the reporter logs every interval until stopped", async () => {
  const { log, lines } = memoryLog("info");
  const stats = new StatsReporter(log, () => ({ current: 0, lifetime: 0, preAuth: 0 }), 10);
  stats.start();
  await new Promise((r) => setTimeout(r, 55));
  stats.stop();
  const seen = lines.length;
  assert.ok(seen >= 2, `${seen} lines`);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(lines.length, seen);
});
