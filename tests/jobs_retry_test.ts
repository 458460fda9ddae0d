/**
 * A scheduled job that fails is logged and runs again at the next evaluation
 * (docs/server.md#scheduled-jobs): the scheduler and job client of app/jobs in this process, with
 * an injected clock, against a real dserver; the first run cannot read its file.
 */
import assert from "node:assert/strict";
import { UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { loadConfig } from "../core/config.ts";
import { loadAuth } from "../cli/ssh/auth.ts";
import type { RemoteConnection } from "../cli/remote.ts";
import { runJob } from "../app/jobs/job_run.ts";
import { Scheduler } from "../app/jobs/scheduler.ts";
import { MemoryLog, testJob } from "../app/jobs/_test_jobs.ts";
import { textOf } from "./jobs_env.ts";

Deno.test({
  name:
    "a scheduled run that cannot read its file leaves no outfile and is retried at the next slot",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await Deno.makeTempDir({ prefix: "dtail-jobs-retry-" });
    await Deno.chmod(dir, 0o755);
    const input = `${dir}/stats.log`;
    await Deno.copyFile(`${UPSTREAM}/mapr_testdata.log`, input);
    await Deno.chmod(input, 0o000); // the server's user cannot read it yet
    try {
      const env = (name: string) => (name === "HOME" ? client.home : undefined);
      const auth = await loadAuth({ authKeyPath: `${client.home}/.ssh/id_ed25519`, env });
      const connection: RemoteConnection = {
        servers: server.address,
        discovery: "",
        defaultPort: 2222,
        authKeyPath: "",
        legacyKeyPath: "",
        agentKeyIndex: -1,
        trustAllHosts: false,
        noAuthKey: true,
        user: "dtail-alice",
        connectionsPerCpu: 10,
        jobAuth: auth,
      };
      const log = new MemoryLog();
      let now = new Date(2026, 6, 4, 1, 30);
      const job = testJob({
        Files: input,
        Outfile: `${dir}/stats_$today.csv`,
        TimeRange: [2, 3],
        Query: "from STATS select count($line) group by $hostname",
      });
      const deps = { config: loadConfig("none"), log, connectionOf: () => connection };
      const scheduler = new Scheduler([job], {
        now: () => now,
        log,
        run: (j, when, signal) => runJob("Schedule", j, when, deps, signal),
      });
      const outfile = `${dir}/stats_20260704.csv`;
      await scheduler.evaluate(); // 01:30, before the window
      assert.equal(log.lines.length, 0);
      now = new Date(2026, 6, 4, 2, 0);
      await scheduler.evaluate();
      const failed = log.lines.find((l) => l.startsWith('ERROR|Schedule job "nightly"|failed'));
      assert.ok(failed, log.lines.join("\n"));
      assert.match(failed, /durationMs=\d+/);
      assert.equal(textOf(outfile), null);
      assert.equal(textOf(`${outfile}.query`), null);
      await Deno.chmod(input, 0o644);
      now = new Date(2026, 6, 4, 2, 1);
      await scheduler.evaluate();
      assert.equal(textOf(outfile), "count($line)\n597\n");
      assert.match(
        log.lines.at(-1)!,
        /^INFO\|Schedule job "nightly"\|done\|durationMs=\d+\|rows=1\|/,
      );
      // The outfile of that name exists now: later slots of the window leave it alone.
      const before = log.lines.length;
      now = new Date(2026, 6, 4, 2, 2);
      await scheduler.evaluate();
      assert.equal(log.lines.length, before);
      await scheduler.stop();
    } finally {
      await server.stop();
    }
  },
});
