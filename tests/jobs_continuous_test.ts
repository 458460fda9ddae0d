/**
 * Continuous jobs in a real dserver (docs/server.md#continuous-jobs): the upstream dserver2.cfg
 * job follows a file appended to every 200 ms and rewrites its CSV every interval with that
 * interval's result; a second job with `append` adds a row per interval under one header.
 */
import assert from "node:assert/strict";
import { UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { serverOwnedDir, textOf, waitFor } from "./jobs_env.ts";

const LINE =
  "INFO|19801011-424242|1|dserver_test.go|1|1|1|1.0|1m|MAPREDUCE:INTEGRATIONTEST|foo=1|bar=42\n";
const QUERY =
  "from INTEGRATIONTEST select last($line),max(foo),min(bar) group by $hostname interval 1";

Deno.test({
  name: "a continuous job rewrites its CSV each interval, or appends a row with append",
  ignore: !canRunServers,
  fn: async () => {
    const dir = await serverOwnedDir();
    const input = `${dir}/dserver2.log`;
    await Deno.writeTextFile(input, "");
    await Deno.chmod(input, 0o644);
    const job = (name: string, outfile: string) => ({
      Name: name,
      Enable: true,
      AllowFrom: ["localhost"],
      Files: input,
      Query: QUERY,
      Outfile: outfile,
    });
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: {
        Continuous: [
          job("dserver_continuous_test", `${dir}/dserver2.csv`),
          job("appending", `append ${dir}/appended.csv`),
        ],
      },
    });
    const writer = setInterval(() => Deno.writeTextFileSync(input, LINE, { append: true }), 200);
    try {
      const expected = Deno.readTextFileSync(`${UPSTREAM}/dserver2.csv.expected`);
      await waitFor(
        "the continuous CSV",
        () => {
          return textOf(`${dir}/dserver2.csv`) === expected ? true : null;
        },
        20_000,
        () => server.log(),
      );
      assert.equal(textOf(`${dir}/dserver2.csv.query`), `${QUERY} outfile ${dir}/dserver2.csv`);
      const rows = await waitFor(
        "three appended rows",
        () => {
          const lines = (textOf(`${dir}/appended.csv`) ?? "").split("\n").filter((l) => l !== "");
          return lines.length >= 4 ? lines : null;
        },
        20_000,
        () => server.log(),
      );
      assert.equal(rows[0], "last($line),max(foo),min(bar)");
      for (const row of rows.slice(1)) assert.equal(row + "\n", expected.split("\n")[1] + "\n");
      // Non-cumulative: once the file stops growing, the next intervals are header-only.
      clearInterval(writer);
      const header = expected.split("\n")[0] + "\n";
      await waitFor(
        "a header-only interval",
        () => {
          return textOf(`${dir}/dserver2.csv`) === header ? true : null;
        },
        10_000,
        () => server.log(),
      );
      // The jobs stop with the server: a followed session does not hold SIGTERM up.
      const stopping = Date.now();
      assert.equal(await server.stop(), 0);
      assert.ok(Date.now() - stopping < 3000, `stopped after ${Date.now() - stopping} ms`);
      assert.match(server.log(), /Continuous job "dserver_continuous_test"\|stopped\|/);
    } finally {
      clearInterval(writer);
      await server.stop();
    }
  },
});
