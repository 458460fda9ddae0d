/**
 * `--since`/`--until` end to end (docs/usage.md#time-ranges): serverless and over SSH, plain and
 * gzip files, RFC 3339 and DTail's default format, dmap, dtail following from the range, bad values,
 * and a Go dserver that is refused rather than sent the options.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, Follower } from "./follower.ts";
import { goPeerSkipReason, GoServer, ours } from "./go_peer_env.ts";

const MINUTE = 60_000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** DTail's default format, local time: `INFO|20261203-101500|…`. */
function dtailStamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

interface Line {
  readonly text: string;
  /** The time the line goes by (an untimed line: the timed line's before it). */
  readonly time: number;
}

/**
 * A log of two hours ending `minutesAgo(0)`: one timed line a minute, 30 s off the minute (so a
 * `--since 10m` resolved a few seconds later cuts between lines), RFC 3339 and DTail's format
 * alternating, and an untimed continuation line every 7 minutes.
 */
function generate(now: number): Line[] {
  const lines: Line[] = [];
  for (let i = 120; i >= 0; i--) {
    const t = now - i * MINUTE - 30_000;
    const text = i % 2 === 0
      ? `${new Date(t).toISOString()} INFO request ${i} done`
      : `INFO|${dtailStamp(t)}|1|app.go:1|request ${i} done`;
    lines.push({ text, time: Math.floor(t / 1000) * 1000 });
    if (i % 7 === 0) lines.push({ text: `    at frame of request ${i}`, time: lines.at(-1)!.time });
  }
  return lines;
}

const inRange = (lines: Line[], since: number, until = Infinity) =>
  lines.filter((l) => l.time >= since && l.time <= until).map((l) => l.text);

async function writeLog(lines: Line[]): Promise<{ dir: string; plain: string; gz: string }> {
  const dir = await tempDir("dtail-time-range-");
  await Deno.chmod(dir, 0o755);
  const text = lines.map((l) => l.text).join("\n") + "\n";
  const plain = `${dir}/app.log`;
  const gz = `${dir}/app.log.gz`;
  await Deno.writeTextFile(plain, text);
  await Deno.writeFile(gz, gzipSync(new TextEncoder().encode(text)));
  await Deno.chmod(plain, 0o644);
  await Deno.chmod(gz, 0o644);
  return { dir, plain, gz };
}

const outLines = (text: string) => text === "" ? [] : text.replace(/\n$/, "").split("\n");

Deno.test("serverless dcat, dgrep and dmap keep exactly the lines in the range, plain or gzip", async (t) => {
  const now = Date.now();
  const lines = generate(now);
  const { dir, plain, gz } = await writeLog(lines);
  try {
    for (const file of [plain, gz]) {
      const name = file.endsWith(".gz") ? "gzip (read whole)" : "plain (sought)";
      await t.step(`dcat --since 10m, ${name}`, async () => {
        const r = await run("dcat", ["--cfg", "none", "--plain", "--since", "10m", file]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(outLines(r.text), inRange(lines, now - 10 * MINUTE));
        assert.equal(outLines(r.text).length, 12, "ten timed lines and two continuations");
      });
      await t.step(`dcat with absolute --since and --until, ${name}`, async () => {
        const since = now - 61 * MINUTE;
        const until = now - 40 * MINUTE;
        const r = await run("dcat", [
          "--cfg",
          "none",
          "--plain",
          "--since",
          new Date(since).toISOString(),
          "--until",
          new Date(until).toISOString(),
          file,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const expected = inRange(lines, since, until);
        assert.equal(expected.length, 24);
        assert.deepEqual(outLines(r.text), expected);
      });
      await t.step(`dgrep --until, ${name}`, async () => {
        const until = now - 100 * MINUTE;
        const r = await run("dgrep", [
          "--cfg",
          "none",
          "--plain",
          "--grep",
          "frame",
          "--until",
          new Date(until).toISOString(),
          file,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const expected = inRange(lines, -Infinity, until).filter((l) => l.includes("frame"));
        assert.deepEqual(outLines(r.text), expected);
        assert.equal(expected.length, 3);
      });
      await t.step(`dmap counts the lines in the range, ${name}`, async () => {
        const r = await run("dmap", [
          "--cfg",
          "none",
          "--since",
          "30m",
          "--query",
          `select count($line) group by $hostname outfile ${dir}/count.csv`,
          file,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const csv = (await Deno.readTextFile(`${dir}/count.csv`)).trim().split("\n");
        assert.equal(csv[1]!.split(",").at(-1), String(inRange(lines, now - 30 * MINUTE).length));
      });
    }
    await t.step("line numbers count the lines in the range from 1", async () => {
      const r = await run("dcat", ["--cfg", "none", "--noColor", "--since", "3m", plain]);
      assert.equal(r.code, 0, r.stderr);
      const numbers = outLines(r.text).map((l) => l.split("|")[3]);
      assert.deepEqual(numbers, ["1", "2", "3", "4"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad --since or --until is one line and exit 2", async () => {
  for (
    const [program, args, message] of [
      ["dcat", ["--since", "15x"], /^dcat: --since "15x": unknown unit "x" \(s, m, h, d\)/],
      ["dgrep", ["--grep", "x", "--until", "soon"], /^dgrep: --until "soon": not a duration/],
      ["dmap", ["--since", "1h", "--until", "2h", "--query", "select count($line)"], /is after/],
      ["dtail", ["--until", "1h"], /^dtail: --until cannot be used with dtail/],
    ] as const
  ) {
    const r = await run(program, ["--cfg", "none", ...args, "/nonexistent.log"]);
    assert.equal(r.code, 2, `${program} ${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, message);
    assertNoStackTrace(r.stderr);
  }
});

Deno.test("dtail --since prints the range already in the file, then follows", async () => {
  const now = Date.now();
  const lines = generate(now);
  const { dir, plain } = await writeLog(lines);
  const f = new Follower(["--since", "10m", plain]);
  try {
    const expected = inRange(lines, now - 10 * MINUTE);
    await f.waitFor((l) => l.length >= expected.length, "the last ten minutes");
    assert.deepEqual(f.lines.slice(0, expected.length), expected);
    const fresh = [`${new Date().toISOString()} INFO new line`, "    at new frame"];
    await append(plain, fresh);
    await f.waitFor((l) => l.includes("    at new frame"), "the appended lines");
    assert.deepEqual(f.lines, [...expected, ...fresh]);
  } finally {
    assert.equal(await f.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dtail --since on a glob reads a file that appears later from its start, in the range", async () => {
  const now = Date.now();
  const lines = generate(now);
  const { dir } = await writeLog(lines);
  const f = new Follower(["--since", "10m", `${dir}/*.log`]);
  try {
    const expected = inRange(lines, now - 10 * MINUTE);
    await f.waitFor((l) => l.length >= expected.length, "the last ten minutes");
    // A file copied in later, with old lines: those before since are dropped, the rest printed.
    const later = [
      `${new Date(now - 30 * MINUTE).toISOString()} INFO old line of the new file`,
      "    at old frame",
      `${new Date().toISOString()} INFO recent line of the new file`,
      "    at recent frame",
    ];
    await append(`${dir}/later.log`, later);
    await f.waitFor((l) => l.includes("    at recent frame"), "the new file's recent lines");
    assert.deepEqual(f.lines.slice(expected.length), later.slice(2));
    assert.deepEqual(f.lines.slice(0, expected.length), expected);
  } finally {
    assert.equal(await f.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "over SSH, dcat, dmap and dtail --since cut where serverless does",
  ignore: !canRunServers,
  fn: async (t) => {
    const now = Date.now();
    const lines = generate(now);
    const { dir, plain, gz } = await writeLog(lines);
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      for (const file of [plain, gz]) {
        await t.step(`dcat --since --until over SSH, ${file.slice(-6)}`, async () => {
          const since = now - 61 * MINUTE;
          const until = now - 40 * MINUTE;
          const r = await client.run("dcat", [server], [
            "--trustAllHosts",
            "--plain",
            "--since",
            new Date(since).toISOString(),
            "--until",
            new Date(until).toISOString(),
            file,
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(outLines(r.text), inRange(lines, since, until));
        });
      }
      // With --timeout the reads go as `timeout N cat …`, which has no options: the range rides
      // on the map: command.
      for (const extra of [[], ["--timeout", "30"]]) {
        await t.step(
          `dmap ${[...extra, "--since 30m"].join(" ")} over SSH maps only the range`,
          async () => {
            const r = await client.run("dmap", [server], [
              "--trustAllHosts",
              ...extra,
              "--since",
              "30m",
              "--query",
              `select count($line) group by $hostname outfile ${dir}/ssh.csv`,
              plain,
            ]);
            assert.equal(r.code, 0, r.stderr);
            const csv = (await Deno.readTextFile(`${dir}/ssh.csv`)).trim().split("\n");
            const expected = inRange(lines, now - 30 * MINUTE).length;
            assert.equal(csv[1]!.split(",").at(-1), String(expected));
          },
        );
      }
      await t.step(
        "dtail --since over SSH prints the last ten minutes, then new lines",
        async () => {
          const f = new Follower(
            [
              "--user",
              "dtail-alice",
              "--servers",
              server.address,
              "--trustAllHosts",
              "--since",
              "10m",
              plain,
            ],
            { HOME: client.home, SSH_AUTH_SOCK: "" },
          );
          try {
            const expected = inRange(lines, now - 10 * MINUTE);
            await f.waitFor((l) => l.length >= expected.length, "the last ten minutes", 20_000);
            assert.deepEqual(f.lines.slice(0, expected.length), expected);
            const fresh = `${new Date().toISOString()} INFO new over ssh`;
            await append(plain, [fresh]);
            await f.waitFor((l) => l.includes(fresh), "the appended line", 20_000);
            assert.deepEqual(f.lines, [...expected, fresh]);
          } finally {
            assert.equal(await f.stop(), 0);
          }
        },
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a Go dserver is refused a time range in one line, never sent it; ours beside it answers",
  ignore: !canRunServers || goPeerSkipReason !== null,
  fn: async () => {
    const now = Date.now();
    const lines = generate(now);
    const { dir, plain } = await writeLog(lines);
    const client = await TestClient.create();
    const permissions = { Default: ["readfiles:^/.*$"] };
    const goServer = await GoServer.start(client, { server: { Permissions: permissions } });
    const our = await TestServer.start(client, { server: { Permissions: permissions } });
    try {
      const r = await ours(client, "dcat", [goServer, our], ["--plain", "--since", "10m", plain]);
      assert.equal(r.code, 3, r.stderr); // one server refused, one answered: partial
      const refusals = r.stderr.split("\n").filter((l) => l.includes("needs server capability"));
      assert.equal(refusals.length, 1, r.stderr);
      assert.match(
        refusals[0]!,
        new RegExp(
          `^dcat: SERVER\\|${goServer.address}\\|ERROR\\|this job needs server capability time-range-v1`,
        ),
      );
      assertNoStackTrace(r.stderr);
      assert.deepEqual(outLines(r.text), inRange(lines, now - 10 * MINUTE));
    } finally {
      await goServer.stop();
      await our.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

if (goPeerSkipReason !== null) {
  console.log(`skipped the Go dserver refusal test: ${goPeerSkipReason}`);
}
