/**
 * The sketch aggregations through three real dservers (docs/query-language.md#aggregations): each
 * server sketches its own share of the log, the client merges the sketches, and the merged p99 and
 * count_distinct are those of all the lines together, within the sketches' error.
 */
import assert from "node:assert/strict";
import { tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { QUANTILE_ALPHA } from "../core/mapr/sketch_quantile.ts";
import { seeded } from "../core/mapr/_test_seeded.ts";

const HOSTS = ["s1", "s2", "s3"];

Deno.test({
  name: "over SSH, the p99 merged from three dservers is the exact p99 of all lines within α",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const servers = await Promise.all(
      HOSTS.map((host) => TestServer.start(client, { env: { DTAIL_HOSTNAME_OVERRIDE: host } })),
    );
    const dir = await tempDir("dtail-dmap-sketch-ssh-");
    await Deno.chmod(dir, 0o755);
    const log = `${dir}/requests.log`;
    // Every server reads the whole log but keeps only the lines of its host: three shares of
    // different latencies (each server slower than the one before) and overlapping users.
    const random = seeded(9);
    const latencies: number[] = [];
    const users = new Set<string>();
    let text = "";
    for (let i = 0; i < 30_000; i++) {
      const server = i % 3;
      const latency = Math.round(Math.exp(random() * 5) * (server + 1) * 1000) / 1000;
      const user = `user${Math.floor(random() * 8000) + server * 4000}`;
      latencies.push(latency);
      users.add(user);
      text += "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:REQ|" +
        `host=${HOSTS[server]}|latency=${latency}|user=${user}\n`;
    }
    await Deno.writeTextFile(log, text);
    await Deno.chmod(log, 0o644);
    try {
      const r = await client.run("dmap", servers, [
        "--trustAllHosts",
        "--quiet",
        "--query",
        "from * select count($line),p99(latency),count_distinct(user) " +
        "where host eq $hostname group by * outfile out.csv",
        log,
      ], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const [header, row] = Deno.readTextFileSync(`${dir}/out.csv`).trimEnd().split("\n");
      assert.equal(header, "count($line),p99(latency),count_distinct(user)");
      const [count, p99, distinct] = row!.split(",").map(Number) as [number, number, number];
      assert.equal(count, latencies.length, "every line counted once, by its own server");
      latencies.sort((a, b) => a - b);
      const exact = latencies[Math.floor(0.99 * (latencies.length - 1))]!;
      const bound = QUANTILE_ALPHA * exact + 5e-7; // six decimals in the CSV
      assert.ok(Math.abs(p99 - exact) <= bound, `merged p99 ${p99}, exact ${exact}`);
      assert.ok(Math.abs(distinct / users.size - 1) <= 0.02, `${distinct} vs ${users.size}`);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  },
});
