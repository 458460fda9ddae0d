/**
 * Queries beyond DTail's language go only to dservers that announced them
 * (core/protocol/query_capabilities.ts): a Go dserver gets no sketch or json query, the client says
 * why in one line naming the server, and a mixed fleet still answers from our servers.
 */
import assert from "node:assert/strict";
import { tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { goPeerSkipReason, GoServer, ours } from "./go_peer_env.ts";
import { withoutSummary } from "./summary_lines.ts";

async function writeLog(): Promise<string> {
  const dir = await tempDir("dtail-query-caps-");
  await Deno.chmod(dir, 0o755);
  const log = `${dir}/app.log`;
  const lines = [];
  for (let i = 0; i < 50; i++) lines.push(JSON.stringify({ status: i % 2 ? 200 : 500, ms: i }));
  await Deno.writeTextFile(log, lines.join("\n") + "\n");
  await Deno.chmod(log, 0o644);
  return log;
}

Deno.test({
  name: "a sketch or json query is refused for a Go dserver and answered by ours beside it",
  ignore: !canRunServers || goPeerSkipReason !== null,
  fn: async () => {
    const client = await TestClient.create();
    const log = await writeLog();
    const permissions = { Default: ["readfiles:^/.*$"] };
    const goServer = await GoServer.start(client, { server: { Permissions: permissions } });
    const our = await TestServer.start(client, { server: { Permissions: permissions } });
    try {
      for (
        const [query, needs] of [
          ["from * select status,count($line) group by status logformat json", "mapr-formats-v1"],
          ["select p99(ms),count($line) group by $hostname", "mapr-sketch-v1"],
        ] as const
      ) {
        const r = await ours(client, "dmap", [goServer, our], [
          "--noColor",
          "--query",
          query,
          "--files",
          log,
        ]);
        // The refused server failed, ours answered: a partial run.
        assert.equal(r.code, 3, `${query}\n${r.stderr}`);
        // The summary's line for the refused server says it too: it is checked in
        // ssh_outcome_summary_test.ts.
        const refusals = withoutSummary(r.stderr).split("\n")
          .filter((l) => l.includes("needs server capability"));
        assert.equal(refusals.length, 1, r.stderr);
        assert.match(
          refusals[0]!,
          new RegExp(
            `^dmap: SERVER\\|${goServer.address}\\|ERROR\\|this job needs server capability ${needs}`,
          ),
        );
        assert.doesNotMatch(r.stderr, /Error: |at .*\.ts:\d+/, "no stack trace");
        if (needs === "mapr-formats-v1") {
          // Our server alone answered: 25 lines of each status.
          assert.match(r.text, /\b200\b.*\b25\b/);
          assert.match(r.text, /\b500\b.*\b25\b/);
        }
      }
    } finally {
      await goServer.stop();
      await our.stop();
    }
  },
});

Deno.test({
  name: "our dserver announces the query capabilities and answers a json query with p99",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const log = await writeLog();
    const our = await TestServer.start(client);
    try {
      const r = await client.run("dmap", [our], [
        "--trustAllHosts",
        "--noColor",
        "--query",
        "from * select status,count($line),p99(ms) group by status logformat json outfile " +
        `${log}.csv`,
        "--files",
        log,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const csv = (await Deno.readTextFile(`${log}.csv`)).trim().split("\n");
      assert.equal(csv[0], "status,count($line),p99(ms)");
      const rows = new Map(csv.slice(1).map((l) => [l.split(",")[0], l.split(",")]));
      assert.equal(rows.get("200")?.[1], "25");
      assert.equal(rows.get("500")?.[1], "25");
      // The exact p99 of 25 values is the one of rank ⌊0.99 × 24⌋ = 23: 46 of 0, 2, …, 48 and 47
      // of 1, 3, …, 49; the sketch's within 1 % of it.
      assert.ok(Math.abs(Number(rows.get("500")?.[2]) - 46) <= 0.46, csv.join("\n"));
      assert.ok(Math.abs(Number(rows.get("200")?.[2]) - 47) <= 0.47, csv.join("\n"));
    } finally {
      await our.stop();
    }
  },
});

if (goPeerSkipReason !== null) {
  console.log(`skipped the Go dserver refusal test: ${goPeerSkipReason}`);
}
