/**
 * What dmap prints (issue 11, task 5), as the Go client prints it: with an `outfile` no table
 * (serverless nothing at all; over SSH the Go client's `CLIENT|host|INFO|Writing to outfile|…`
 * lines of each write), and the row-cap warning as a `CLIENT|host|WARN|…` line on stdout.
 * The Go peer checks compare byte for byte with the Go DTail's dmap where it is present.
 */
import assert from "node:assert/strict";
import { ROOT, run, type RunResult, tempDir } from "./helpers.ts";
import { mapr } from "./dmap_cases.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const GO_BIN = `${ROOT}/../shared/go-dtail/bin`;
const haveGo = (() => {
  try {
    return Deno.statSync(`${GO_BIN}/dmap`).isFile;
  } catch {
    return false;
  }
})();
if (!haveGo) {
  console.log("dmap_presentation_test: Go peer tests skipped: ../shared/go-dtail/bin is absent");
}

const HOST = "dmap-host.example";
const CAPPED = "from STATS select count($line),lifetimeConnections group by lifetimeConnections";
const WARNING = `CLIENT|${HOST}|WARN|Got 15 results but limited terminal output to 10 rows! ` +
  "Use 'limit' clause to override!\n";

/** A log of 15 STATS lines, one group each under CAPPED. */
async function fifteenGroups(dir: string): Promise<string> {
  const path = `${dir}/many.log`;
  const line = (i: number) =>
    `INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|` +
    `currentConnections=0|lifetimeConnections=${i}\n`;
  await Deno.writeTextFile(path, Array.from({ length: 15 }, (_, i) => line(i + 1)).join(""));
  await Deno.chmod(path, 0o644);
  return path;
}

const env = { DTAIL_HOSTNAME_OVERRIDE: HOST };

/** Go's dmap, serverless, in a HOME of its own. */
async function goDmap(args: string[], cwd: string): Promise<RunResult> {
  const home = await tempDir("dtail-go-home-");
  await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
  const out = await new Deno.Command(`${GO_BIN}/dmap`, {
    args: ["--cfg", "none", ...args],
    env: { HOME: home, ...env },
    clearEnv: true,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(home, { recursive: true });
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: decoder.decode(out.stderr),
    text: decoder.decode(out.stdout),
  };
}

Deno.test("serverless dmap with an outfile prints nothing, as Go's", async () => {
  const dir = await tempDir("dtail-dmap-pres-");
  try {
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--query",
      `from STATS select count($line) group by $hostname outfile ${dir}/out.csv`,
      mapr,
    ], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.text, "");
    assert.equal(r.stderr, "");
    assert.equal(Deno.readTextFileSync(`${dir}/out.csv`), "count($line)\n597\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverless dmap says which table or field no line had, once its input was read", async () => {
  const query = (q: string) =>
    run("dmap", ["--plain", "--cfg", "none", "--query", q, mapr], { env });
  const field = await query(
    "from STATS select count($line),avg(curentConnections) group by $hostname",
  );
  assert.equal(field.code, 0, "the query ran as written");
  assert.match(field.text, /^ +597 \| +0\.000000 $/m, "the table, its column at 0");
  assert.equal(
    field.stderr,
    'dmap: avg(curentConnections): no line had the field "curentConnections" (597 line(s) aggregated)\n',
  );
  const table = await query("from STAT select count($line) group by $hostname");
  assert.equal(table.code, 0);
  assert.equal(table.text, "", "no row: no table");
  assert.equal(table.stderr, "dmap: no line of table STAT was read\n");
  const where = await query("from STATS select count($line) where currentConnections > 1000000");
  assert.equal(
    where.stderr,
    "dmap: none of the 597 line(s) read was aggregated (see the where clause)\n",
  );
  const right = await query("from STATS select count($line),avg(currentConnections)");
  assert.equal(right.stderr, "", "nothing to say of a query whose fields are there");
});

Deno.test("the row-cap warning is a CLIENT|host|WARN line on stdout, before the table", async () => {
  const dir = await tempDir("dtail-dmap-pres-");
  try {
    const log = await fifteenGroups(dir);
    for (const flag of ["--plain", "--noColor"]) {
      const r = await run("dmap", ["--cfg", "none", flag, "--query", CAPPED, log], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
      const lines = r.text.split("\n");
      assert.equal(lines[0], CAPPED);
      assert.equal(lines[1] + "\n", WARNING);
      assert.equal(lines.length, 1 + 1 + 2 + 10 + 2, r.text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "serverless dmap prints what Go's dmap prints, byte for byte",
  ignore: !haveGo,
  fn: async (t) => {
    const dir = await tempDir("dtail-dmap-pres-");
    await Deno.chmod(dir, 0o755);
    try {
      const log = await fifteenGroups(dir);
      const cases: [string, string[]][] = [
        ["capped, colored", ["--query", CAPPED, "--files", log]],
        ["capped, plain", ["--plain", "--query", CAPPED, "--files", log]],
        ["capped, no color", ["--noColor", "--query", CAPPED, "--files", log]],
        ["limit 12", ["--query", `${CAPPED} limit 12`, "--files", log]],
        ["limit 3", ["--plain", "--query", `${CAPPED} limit 3`, "--files", log]],
        [
          "ordered, colored",
          [
            "--query",
            "from STATS select count($line),last($time),avg($goroutines) group by $hostname " +
            "order by count($line)",
            "--files",
            mapr,
          ],
        ],
        ["outfile", ["--query", `${CAPPED} outfile ${dir}/x.csv`, "--files", log]],
      ];
      for (const [name, args] of cases) {
        await t.step(name, async () => {
          const go = await goDmap(args, dir);
          const ours = await run("dmap", ["--cfg", "none", ...args], { env, cwd: dir });
          assert.equal(ours.code, 0, ours.stderr);
          assert.equal(ours.text, go.text);
          assert.equal(ours.stderr, go.stderr);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "over SSH, dmap with an outfile prints the Go client's outfile lines, no table",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await tempDir("dtail-dmap-pres-");
    await Deno.chmod(dir, 0o777);
    const query = (outfile: string) =>
      `from STATS select count($line) group by $hostname ${outfile}`;
    /** The output with each write's lines once: how many writes there are depends on timing. */
    const distinct = (text: string) => [...new Set(text.split("\n").filter((l) => l !== ""))];
    try {
      const ours = async (outfile: string) => {
        const r = await client.run("dmap", [server], [
          "--trustAllHosts",
          "--plain",
          "--query",
          query(outfile),
          mapr,
        ], { env });
        assert.equal(r.code, 0, r.stderr);
        return r.text;
      };
      await t.step("replace: Writing to outfile, then Successfully renamed", async () => {
        const out = await ours(`outfile ${dir}/r.csv`);
        assert.match(out, /^(CLIENT\|[^\n]*\n)+$/, out);
        assert.deepEqual(distinct(out), [
          `CLIENT|${HOST}|INFO|Writing to outfile|${dir}/r.csv`,
          `CLIENT|${HOST}|INFO|Successfully renamed outfile to|${dir}/r.csv`,
        ]);
        assert.equal(Deno.readTextFileSync(`${dir}/r.csv`), "count($line)\n597\n");
      });
      await t.step("append: Appending to outfile", async () => {
        const out = await ours(`outfile append ${dir}/a.csv`);
        assert.deepEqual(distinct(out), [`CLIENT|${HOST}|INFO|Appending to outfile|${dir}/a.csv`]);
      });
      if (!haveGo) return;
      await t.step("the Go client prints the same lines against the same server", async () => {
        const home = await tempDir("dtail-go-home-");
        await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
        await Deno.copyFile(`${client.home}/.ssh/id_ed25519`, `${home}/.ssh/id_ed25519`);
        await Deno.chmod(`${home}/.ssh/id_ed25519`, 0o600);
        try {
          for (const outfile of [`outfile ${dir}/g.csv`, `outfile append ${dir}/ga.csv`]) {
            const go = await new Deno.Command(`${GO_BIN}/dmap`, {
              args: [
                "--cfg",
                "none",
                "--plain",
                "--trustAllHosts",
                "--auth-key-path",
                `${home}/.ssh/id_ed25519`,
                "--user",
                "dtail-alice",
                "--servers",
                server.address,
                "--query",
                query(outfile),
                "--files",
                mapr,
              ],
              env: { HOME: home, ...env },
              clearEnv: true,
              stdout: "piped",
              stderr: "piped",
            }).output();
            const goText = new TextDecoder().decode(go.stdout);
            const oursText = await ours(outfile);
            assert.deepEqual(distinct(oursText), distinct(goText));
          }
        } finally {
          await Deno.remove(home, { recursive: true });
        }
      });
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});
