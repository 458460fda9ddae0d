/**
 * MapReduce through real dservers (aggregation on the servers, merge on the client): the dmap
 * golden cases as in serverless mode, three servers merged, `dtail --query` on a growing file,
 * and the bad-input paths (malformed lines counted, a bad query refused before connecting).
 */
import assert from "node:assert/strict";
import { run, tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { assertCaseOutput, assertIntervalReports, CASES, mapr, statsLine } from "./dmap_cases.ts";

/** A dserver and a log it may read: three STATS lines of hosts a, b, a. */
async function serverWithHostsLog(): Promise<{
  client: TestClient;
  server: TestServer;
  log: string;
}> {
  const client = await TestClient.create();
  const server = await TestServer.start(client);
  const dir = await tempDir("dtail-dmap-ssh-");
  await Deno.chmod(dir, 0o755);
  const log = `${dir}/stats.log`;
  await Deno.writeTextFile(log, ["a", "b", "a"].map((h, i) => statsLine(h, i)).join("\n"));
  await Deno.chmod(log, 0o644);
  return { client, server, log };
}

Deno.test({
  name: "over SSH, dmap writes the golden CSV files of every dmap case",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      for (const c of CASES) {
        await t.step(c.name, async () => {
          const dir = await tempDir("dtail-dmap-ssh-");
          const r = await client.run("dmap", [server], [
            "--trustAllHosts",
            "--quiet",
            "--query",
            c.query.trim(),
            "--files",
            c.inputs.join(","),
          ], { cwd: dir });
          assert.equal(r.code, 0, r.stderr);
          await assertCaseOutput(c, dir);
        });
      }
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, three dservers each reading the log give three times every count",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const servers = await Promise.all([1, 2, 3].map(() => TestServer.start(client)));
    try {
      const query = "from STATS select count($line),sum($goroutines),min($goroutines)," +
        "max($goroutines) group by $hostname";
      const dir = await tempDir("dtail-dmap-ssh-");
      const once = await client.run("dmap", [servers[0]!], [
        "--trustAllHosts",
        "--quiet",
        "--noColor",
        "--query",
        `${query} outfile one.csv`,
        mapr,
      ], { cwd: dir });
      assert.equal(once.code, 0, once.stderr);
      const thrice = await client.run("dmap", servers, [
        "--trustAllHosts",
        "--quiet",
        "--noColor",
        "--query",
        `${query} outfile three.csv`,
        mapr,
      ], { cwd: dir });
      assert.equal(thrice.code, 0, thrice.stderr);
      const rows = (name: string) =>
        Deno.readTextFileSync(`${dir}/${name}`).trimEnd().split("\n").slice(1)
          .map((row) => row.split(",").map(Number));
      const [one] = rows("one.csv");
      const [three] = rows("three.csv");
      assert.ok(one && three && one[0]! > 0, "one row of results");
      assert.deepEqual(three, [one[0]! * 3, one[1]! * 3, one[2], one[3]]);
      assert.equal(one[0], 597, "the count of the serverless golden dmap1a");
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
});

Deno.test({
  name: "over SSH, dtail --query reports each interval's new lines while the file grows",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await tempDir("dtail-query-ssh-");
    await Deno.chmod(dir, 0o755);
    const log = `${dir}/app.log`;
    await Deno.writeTextFile(log, "");
    await Deno.chmod(log, 0o644);
    try {
      await assertIntervalReports(
        log,
        (args) =>
          client.run("dtail", [server], ["--trustAllHosts", "--quiet", ...args], { cwd: dir }),
      );
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, malformed log lines are counted under the result",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await tempDir("dtail-dmap-ssh-");
    await Deno.chmod(dir, 0o755);
    const log = `${dir}/bad.log`;
    const bad = "INFO|1124-101010|1|stats.go:56|8|3|7|0.5|1s|MAPREDUCE:STATS|nokeyvalue";
    await Deno.writeTextFile(log, [statsLine("a", 1), bad, bad, statsLine("a", 2)].join("\n"));
    await Deno.chmod(log, 0o644);
    try {
      const r = await client.run("dmap", [server], [
        "--trustAllHosts",
        "--quiet",
        "--noColor",
        "--query",
        "from STATS select count($line) group by host",
        log,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.text, /\n +2 \n/);
      assert.match(r.text, /2 malformed log line\(s\) skipped/);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "serverless and over SSH, values a numeric item cannot use are named in one note each",
  ignore: !canRunServers,
  fn: async () => {
    const { client, server, log } = await serverWithHostsLog();
    const query = "from STATS select sum(host),count($line) group by host";
    const note = 'sum(host): skipped 3 value(s) that are not numbers (the first: "a")';
    try {
      const local = await run("dmap", ["--cfg", "none", "--noColor", "--query", query, log]);
      const remote = await client.run("dmap", [server], [
        "--trustAllHosts",
        "--quiet",
        "--noColor",
        "--query",
        query,
        log,
      ]);
      assert.equal(local.code, 0, local.stderr);
      assert.equal(remote.code, 0, remote.stderr);
      assert.equal(local.text, remote.text);
      assert.match(local.text, /\n +0\.000000 \| +2 \n/);
      assert.equal(local.stderr, `dmap: ${note}\n`);
      assert.equal(remote.stderr, `dmap: ${server.address}: ${note}\n`);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, a field no line of a server had is named by that server, as serverless",
  ignore: !canRunServers,
  fn: async () => {
    const { client, server, log } = await serverWithHostsLog();
    const query = "from STATS select count($line),avg(hots) group by host";
    const note = 'avg(hots): no line had the field "hots" (3 line(s) aggregated)';
    try {
      const args = ["--noColor", "--query", query, log];
      const local = await run("dmap", ["--cfg", "none", ...args]);
      const remote = await client.run("dmap", [server], ["--trustAllHosts", "--quiet", ...args]);
      assert.equal(local.code, 0, local.stderr);
      assert.equal(remote.code, 0, remote.stderr);
      assert.equal(local.text, remote.text);
      assert.equal(local.stderr, `dmap: ${note}\n`);
      assert.equal(remote.stderr, `dmap: ${server.address}: ${note}\n`);
      const table = await client.run("dmap", [server], [
        "--trustAllHosts",
        "--quiet",
        "--query",
        "from STAT select count($line)",
        log,
      ]);
      assert.equal(table.stderr, `dmap: ${server.address}: no line of table STAT was read\n`);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, a malformed query fails before connecting, with the reason and exit 2",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const r = await client.run("dmap", [], [
      "--servers",
      "127.0.0.1:1",
      "--query",
      "select count($line) group",
      mapr,
    ]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /connect|127\.0\.0\.1/);
  },
});
