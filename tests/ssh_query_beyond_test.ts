/**
 * Issue 17's additions through three real dservers (docs/query-language.md): json and logfmt
 * lines, time buckets and --since/--until. Every server reads the same log and keeps the lines of
 * its own host (`where host eq $hostname`), so the merged result must be that of all the lines,
 * computed here.
 */
import assert from "node:assert/strict";
import { tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const HOSTS = ["s1", "s2", "s3"];
const START = Date.parse("2026-12-03T10:00:00Z");
const LINES = 600;

interface Line {
  readonly at: number;
  readonly host: string;
  readonly status: number;
  readonly latency: number;
}

function lines(): Line[] {
  const out: Line[] = [];
  for (let i = 0; i < LINES; i++) {
    out.push({
      at: START + i * 1700, // 17 minutes in all
      host: HOSTS[i % 3]!,
      status: [200, 200, 404, 500][(i * 7) % 4]!,
      latency: (i * 37) % 250,
    });
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const minute = (ms: number) => iso(Math.floor(ms / 60_000) * 60_000);

async function withFleet(
  body: (client: TestClient, servers: TestServer[], dir: string) => Promise<void>,
): Promise<void> {
  const client = await TestClient.create();
  const servers = await Promise.all(
    HOSTS.map((host) => TestServer.start(client, { env: { DTAIL_HOSTNAME_OVERRIDE: host } })),
  );
  const dir = await tempDir("dtail-ssh-beyond-");
  await Deno.chmod(dir, 0o777);
  try {
    await body(client, servers, dir);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function writeLog(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o644);
}

function csvOf(path: string): string[] {
  return Deno.readTextFileSync(path).trimEnd().split("\n");
}

Deno.test({
  name: "over three dservers, json lines in one-minute buckets add up to all the lines",
  ignore: !canRunServers,
  fn: () =>
    withFleet(async (client, servers, dir) => {
      const all = lines();
      const log = `${dir}/app.json`;
      await writeLog(
        log,
        all.map((l) =>
          JSON.stringify({
            time: iso(l.at),
            host: l.host,
            req: { status: l.status },
            ms: l.latency,
          })
        ).join("\n") + "\n",
      );
      const r = await client.run("dmap", servers, [
        "--trustAllHosts",
        "--quiet",
        "--query",
        "from * select bucket($time, 1m),count($line),sum(ms) where host eq $hostname " +
        "group by bucket($time, 1m) logformat json outfile out.csv",
        log,
      ], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const want = new Map<string, [number, number]>();
      for (const l of all) {
        const b = want.get(minute(l.at)) ?? [0, 0];
        want.set(minute(l.at), [b[0] + 1, b[1] + l.latency]);
      }
      assert.deepEqual(csvOf(`${dir}/out.csv`), [
        '"bucket($time, 1m)",count($line),sum(ms)',
        ...[...want].sort().map(([k, [n, sum]]) => `${k},${n},${sum.toFixed(6)}`),
      ]);
    }),
});

Deno.test({
  name: "over three dservers, logfmt groups and a --since/--until window count each line once",
  ignore: !canRunServers,
  fn: () =>
    withFleet(async (client, servers, dir) => {
      const all = lines();
      const log = `${dir}/app.log`;
      await writeLog(
        log,
        all.map((l) =>
          `time=${iso(l.at)} host=${l.host} status=${l.status} latency=${l.latency} msg="done"`
        ).join("\n") + "\n",
      );
      const since = START + 5 * 60_000;
      const until = START + 9 * 60_000 + 30_000;
      const r = await client.run("dmap", servers, [
        "--trustAllHosts",
        "--quiet",
        "--since",
        iso(since),
        "--until",
        iso(until),
        "--query",
        "from * select status,count($line),max(latency) where host eq $hostname " +
        "group by status logformat logfmt outfile out.csv",
        log,
      ], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const inside = all.filter((l) => l.at >= since && l.at <= until);
      const want = new Map<number, [number, number]>();
      for (const l of inside) {
        const s = want.get(l.status) ?? [0, 0];
        want.set(l.status, [s[0] + 1, Math.max(s[1], l.latency)]);
      }
      assert.deepEqual(csvOf(`${dir}/out.csv`), [
        "status,count($line),max(latency)",
        ...[...want].sort((a, b) => a[0] - b[0]).map(([s, [n, max]]) =>
          `${s},${n},${max.toFixed(6)}`
        ),
      ]);

      // dcat with the same window: each server prints the window's lines of the whole file.
      const c = await client.run("dcat", servers, [
        "--trustAllHosts",
        "--plain",
        "--since",
        iso(since),
        "--until",
        iso(until),
        log,
      ]);
      assert.equal(c.code, 0, c.stderr);
      const got = c.text.split("\n").filter((l) => l !== "").sort();
      const text = inside.map((l) =>
        `time=${iso(l.at)} host=${l.host} status=${l.status} latency=${l.latency} msg="done"`
      );
      assert.deepEqual(got, [...text, ...text, ...text].sort());
    }),
});
