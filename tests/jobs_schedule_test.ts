/**
 * Scheduled jobs in a real dserver (docs/server.md#scheduled-jobs): the upstream dserver1.cfg job
 * writes the expected CSV and `.query` with the date of today in its name and logs its duration
 * and row count.
 */
import assert from "node:assert/strict";
import { UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { serverOwnedDir, textOf, waitFor } from "./jobs_env.ts";
import { localDay } from "../app/jobs/job_dates.ts";

const QUERY = "from STATS select count($line),last($time),avg($goroutines)," +
  "min(concurrentConnections),max(lifetimeConnections) group by $hostname";

Deno.test({
  name: "a scheduled job in dserver's config writes the upstream CSV and .query, dated today",
  ignore: !canRunServers,
  fn: async () => {
    const dir = await serverOwnedDir();
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: {
        Schedule: [{
          Name: "dserver_schedule_test",
          Enable: true,
          AllowFrom: ["localhost"],
          TimeRange: [0, 24],
          Files: `${UPSTREAM}/mapr_testdata.log`,
          Query: QUERY,
          Outfile: `${dir}/dserver1_$today.csv`,
        }],
      },
    });
    try {
      const outfile = `${dir}/dserver1_${localDay(new Date())}.csv`;
      const csv = await waitFor(
        "the scheduled CSV",
        () => {
          const text = textOf(outfile);
          return text !== null && text.includes("\n") && server.log().includes("rows=")
            ? text
            : null;
        },
        20_000,
        () => server.log(),
      );
      assert.equal(csv, Deno.readTextFileSync(`${UPSTREAM}/dserver1.csv.expected`));
      assert.equal(textOf(`${outfile}.query`), `${QUERY} outfile ${outfile}`);
      const done = server.log().split("\n").find((l) =>
        l.includes("dserver_schedule_test") && l.includes("|done|")
      );
      assert.match(done ?? "", /durationMs=\d+\|rows=1\|servers=1\/1/, server.log());
    } finally {
      await server.stop();
    }
  },
});
