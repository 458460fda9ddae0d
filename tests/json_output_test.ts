/**
 * --json end to end (docs/usage.md#machine-output---json): the real programs, serverless and
 * through a real dserver, their stdout read one JSON.parse per line.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, type RunResult, spawn, tempDir, UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const enc = new TextEncoder();
const HOST_ENV = { DTAIL_HOSTNAME_OVERRIDE: "jsonhost.example" };
const MAPR = `${UPSTREAM}/mapr_testdata.log`;
const QUERY = "from STATS select $hostname,count($line),sum($goroutines),avg($goroutines)," +
  "max(lifetimeConnections),last($time) group by $hostname";

/** Lines whose JSON needs escaping, non-ASCII text, invalid UTF-8 (also the wire's 0xAB/0xAC). */
const TRICKY: Uint8Array[] = [
  enc.encode('plain "quoted" \\ back\tslash'),
  enc.encode("\x1b[31mred\x1b[0m and a \x00 nul"),
  enc.encode("grüße 日本語 😀"),
  new Uint8Array([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xac, 0xab, 0x21]),
  enc.encode("crlf\r"),
  enc.encode(""),
  enc.encode("ERROR the last line has no newline"),
];

/** The test's files, in a directory a dserver's user can read; removed at the end. */
const WORK = await tempDir("dtail-json-");
await Deno.chmod(WORK, 0o755);
globalThis.addEventListener("unload", () => Deno.removeSync(WORK, { recursive: true }));

/** A fresh directory under WORK. */
async function workDir(name: string): Promise<string> {
  const dir = `${WORK}/${name}`;
  await Deno.mkdir(dir, { mode: 0o755 });
  return dir;
}

/** The tricky file (once). */
async function trickyFile(): Promise<string> {
  const path = `${WORK}/tricky.log`;
  const parts = TRICKY.flatMap((l, i) => [...l, ...(i < TRICKY.length - 1 ? [0x0a] : [])]);
  await Deno.writeFile(path, new Uint8Array(parts));
  await Deno.chmod(path, 0o644);
  return path;
}

type Json = Record<string, unknown>;

/** Every stdout line as an object: fails on any line that is not one JSON object. */
function objects(r: RunResult): Json[] {
  assertNoStackTrace(r.stderr);
  assert.ok(r.text === "" || r.text.endsWith("\n"), "stdout ends with a newline");
  return r.text.split("\n").slice(0, -1).map((line) => {
    const value = JSON.parse(line);
    assert.equal(typeof value, "object", line);
    return value as Json;
  });
}

/** The raw bytes a line object stands for: line_b64 when present, else the UTF-8 of line. */
function lineBytes(o: Json): Uint8Array {
  if (typeof o.line_b64 === "string") {
    return Uint8Array.from(atob(o.line_b64), (c) => c.charCodeAt(0));
  }
  return enc.encode(o.line as string);
}

function assertTrickyLines(got: Json[], host: string, source: string): void {
  assert.equal(got.length, TRICKY.length);
  got.forEach((o, i) => {
    assert.deepEqual(Object.keys(o).slice(0, 4), ["host", "source", "lineno", "line"]);
    assert.equal(o.host, host);
    assert.equal(o.source, source);
    assert.equal(o.lineno, i + 1);
    assert.deepEqual(lineBytes(o), TRICKY[i], `line ${i + 1}`);
    assert.equal("line_b64" in o, i === 3, `only the invalid line has line_b64 (line ${i + 1})`);
  });
}

/** CSV rows of an outfile as objects of strings. */
function csvRows(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trimEnd().split("\n");
  const keys = header!.split(",");
  return rows.map((row) => Object.fromEntries(row.split(",").map((v, i) => [keys[i]!, v])));
}

/** A JSON result row holds the CSV row's values, typed: numbers within %f's rounding. */
function assertRowMatchesCsv(row: Json, csv: Record<string, string>, skip: string[] = []): void {
  assert.deepEqual(Object.keys(row), Object.keys(csv));
  for (const [key, text] of Object.entries(csv)) {
    if (skip.includes(key)) continue;
    const value = row[key];
    if (key.startsWith("last(") || key === "$hostname") assert.equal(value, text, key);
    else {
      assert.equal(typeof value, "number", key);
      assert.ok(Math.abs((value as number) - Number(text)) < 1e-6, `${key}: ${value} vs ${text}`);
    }
  }
}

Deno.test("dcat --json prints one object per line: escaped, non-ASCII kept, bad UTF-8 in base64", async () => {
  const path = await trickyFile();
  const r = await run("dcat", ["--cfg", "none", "--json", path], { env: HOST_ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assertTrickyLines(objects(r), "jsonhost", "tricky.log");
  assert.ok(!r.text.includes("\x1b"), "no color and no raw escape");
});

Deno.test("dcat --json reads standard input as the source -", async () => {
  const r = await run("dcat", ["--cfg", "none", "--json"], { stdin: "a\nb\n", env: HOST_ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(objects(r), [
    { host: "jsonhost", source: "-", lineno: 1, line: "a" },
    { host: "jsonhost", source: "-", lineno: 2, line: "b" },
  ]);
});

Deno.test("dgrep --json keeps the file's line numbers, context lines included", async () => {
  const r = await run("dgrep", [
    "--cfg",
    "none",
    "--json",
    "--grep",
    "1002-071947",
    "--before",
    "1",
    "--after",
    "1",
    MAPR,
  ], { env: HOST_ENV });
  assert.equal(r.code, 0, r.stderr);
  const got = objects(r);
  const lines = Deno.readTextFileSync(MAPR).split("\n");
  assert.ok(got.length > 2);
  for (const o of got) {
    assert.equal(o.source, "mapr_testdata.log");
    assert.equal(o.line, lines[(o.lineno as number) - 1], `line ${o.lineno}`);
  }
  const matches = got.filter((o) => (o.line as string).includes("1002-071947"));
  assert.ok(matches.length > 0 && matches.length < got.length, "context lines came too");
});

Deno.test("notices stay on stderr: stdout is JSON only, the exit status as without --json", async () => {
  const path = await trickyFile();
  const r = await run("dcat", ["--cfg", "none", "--json", path, `${path}.missing`]);
  assert.equal(r.code, 3, "one file read, one not: partial");
  assert.equal(objects(r).length, TRICKY.length);
  assert.match(r.stderr, /tricky\.log\.missing: no such file/);
});

Deno.test("--json with --plain is one clear line and exit 2; so is --interactive-query", async () => {
  for (
    const [program, args] of [
      ["dcat", ["--json", "--plain", "a.log"]],
      ["dgrep", ["--plain", "--json", "--grep", "x", "a.log"]],
      ["dmap", ["--json", "--plain", "--query", "select count($line)", "a.log"]],
      ["dcat", ["--json", "--interactive-query", "a.log"]],
    ] as const
  ) {
    const r = await run(program, ["--cfg", "none", ...args]);
    assert.equal(r.code, 2, `${program} ${args.join(" ")}: ${r.stderr}`);
    assertNoStackTrace(r.stderr);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /--json cannot be used with --(plain|interactive-query)/);
    assert.equal(r.text, "");
  }
});

Deno.test("dmap --json prints the final result once: the rows of the CSV, typed", async () => {
  const dir = await workDir("dmap");
  const csvRun = await run("dmap", [
    "--cfg",
    "none",
    "--query",
    `${QUERY} outfile ${dir}/r.csv`,
    MAPR,
  ], { env: HOST_ENV });
  assert.equal(csvRun.code, 0, csvRun.stderr);
  const csv = csvRows(Deno.readTextFileSync(`${dir}/r.csv`));
  const r = await run("dmap", ["--cfg", "none", "--json", "--query", QUERY, MAPR], {
    env: HOST_ENV,
  });
  assert.equal(r.code, 0, r.stderr);
  const got = objects(r);
  assert.equal(got.length, csv.length);
  assert.equal(got.length, 1);
  assert.deepEqual(Object.keys(got[0]!), ["report", "row"]);
  assert.equal(got[0]!.report, 1);
  const row = got[0]!.row as Json;
  assertRowMatchesCsv(row, csv[0]!);
  assert.equal(row.$hostname, "jsonhost.example");
  assert.equal(row["count($line)"], 597);
});

Deno.test("dtail --json follows lines, and dtail --query --json prints each interval's rows", async () => {
  const dir = await workDir("follow");
  const path = `${dir}/f.log`;
  await Deno.writeTextFile(path, "before the follow\n");
  const lines = await followed(["--json", path], async (seen) => {
    await ready(path, seen, (o) => String(o.line).startsWith("ready-"));
    await Deno.writeTextFile(path, 'new "line"\n', { append: true });
    await waitFor(() => seen.some((o) => o.line === 'new "line"'));
  });
  const last = lines.at(-1)!;
  assert.deepEqual([last.host, last.source, last.line], ["jsonhost", "f.log", 'new "line"']);
  assert.ok(!lines.some((o) => o.line === "before the follow"), "from the end, as without --json");
  assert.equal(last.lineno, (lines.at(-2)!.lineno as number) + 1, "counted since the follow began");

  // STATS lines whose $time tells the writes apart: the ready markers, then two batches.
  const stat = (time: string) =>
    `INFO|${time}|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|currentConnections=0\n`;
  const query = "from STATS select $time,count($line) group by $time interval 1";
  const reports = await followed(["--json", "--query", query, path], async (seen) => {
    const rowOf = (time: string) => seen.find((o) => (o.row as Json | undefined)?.$time === time);
    await ready(path, seen, (o) => o.report !== undefined, stat("marker"));
    await Deno.writeTextFile(path, stat("first").repeat(5), { append: true });
    await waitFor(() => rowOf("first") !== undefined);
    await Deno.writeTextFile(path, stat("second").repeat(3), { append: true });
    await waitFor(() => rowOf("second") !== undefined);
  });
  const numbers = [...new Set(reports.map((o) => o.report as number))];
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), "reports numbered 1, 2, …");
  const first = reports.find((o) => (o.row as Json).$time === "first")!;
  const second = reports.find((o) => (o.row as Json).$time === "second")!;
  assert.deepEqual(first.row, { $time: "first", "count($line)": 5 });
  assert.deepEqual(second.row, { $time: "second", "count($line)": 3 }, "its interval only");
  assert.ok((second.report as number) > (first.report as number));
});

/** Runs `dtail` with `args` while `body` writes, then stops it: the objects it printed. */
async function followed(args: string[], body: (seen: Json[]) => Promise<void>): Promise<Json[]> {
  const child = spawn("dtail", ["--cfg", "none", ...args], { env: HOST_ENV });
  const seen: Json[] = [];
  let stderr = "";
  const collect = (async () => {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop()!;
      for (const p of parts) seen.push(JSON.parse(p));
    }
    assert.equal(partial, "", "every object ends with a newline");
  })();
  const errors = (async () => {
    for await (const chunk of child.stderr) stderr += new TextDecoder().decode(chunk);
  })();
  try {
    await body(seen);
  } catch (err) {
    throw new Error(`${err}\nstderr: ${stderr}\nstdout: ${JSON.stringify(seen)}`);
  } finally {
    child.kill("SIGTERM");
    await Promise.all([collect, errors, child.status]);
  }
  assertNoStackTrace(stderr);
  return seen;
}

/** Appends `marker` (a line ready-N by default) until `printed` holds for an object. */
async function ready(
  path: string,
  seen: Json[],
  printed: (o: Json) => boolean,
  marker?: string,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await Deno.writeTextFile(path, marker ?? `ready-${i}\n`, { append: true });
    const deadline = Date.now() + 200;
    while (Date.now() < deadline) {
      if (seen.some(printed)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error("the follow never printed the marker");
}

async function waitFor(done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test({
  name: "over SSH, --json prints the server's host, source and line numbers, and typed rows",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { env: { DTAIL_HOSTNAME_OVERRIDE: "jsonsrv" } });
    const path = await trickyFile();
    try {
      await t.step("dcat: the same objects as serverless, the server's host", async () => {
        const r = await client.run("dcat", [server], ["--trustAllHosts", "--json", path]);
        assert.equal(r.code, 0, r.stderr);
        assertTrickyLines(objects(r), "jsonsrv", "tricky.log");
      });
      await t.step("a | in a file name is shown as ?, the line stays whole", async () => {
        const dir = await workDir("ssh-bar");
        await Deno.writeTextFile(`${dir}/a|b.log`, "one|1\n");
        await Deno.chmod(`${dir}/a|b.log`, 0o644);
        const r = await client.run("dcat", [server], [
          "--trustAllHosts",
          "--json",
          `${dir}/a|b.log`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const local = await run("dcat", ["--cfg", "none", "--json", `${dir}/a|b.log`], {
          env: { DTAIL_HOSTNAME_OVERRIDE: "jsonsrv" },
        });
        const want = [{ host: "jsonsrv", source: "a?b.log", lineno: 1, line: "one|1" }];
        assert.deepEqual(objects(r), want);
        assert.deepEqual(objects(local), want);
      });
      await t.step("dgrep: line numbers and context as serverless", async () => {
        const args = ["--json", "--grep", "1002-07194[78]", "--after", "2", MAPR];
        const local = await run("dgrep", ["--cfg", "none", ...args], { env: HOST_ENV });
        const r = await client.run("dgrep", [server], ["--trustAllHosts", ...args]);
        assert.equal(r.code, 0, r.stderr);
        const want = objects(local).map((o) => ({ ...o, host: "jsonsrv" }));
        assert.ok(want.length > 3);
        assert.deepEqual(objects(r), want);
      });
      await t.step("dmap: the rows of the CSV, $hostname the server's", async () => {
        const dir = await workDir("ssh-dmap");
        const csvRun = await client.run("dmap", [server], [
          "--trustAllHosts",
          "--quiet",
          "--query",
          `${QUERY} outfile ${dir}/r.csv`,
          MAPR,
        ], { cwd: dir });
        assert.equal(csvRun.code, 0, csvRun.stderr);
        const csv = csvRows(Deno.readTextFileSync(`${dir}/r.csv`));
        const r = await client.run("dmap", [server], [
          "--trustAllHosts",
          "--json",
          "--query",
          QUERY,
          MAPR,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const got = objects(r);
        assert.equal(got.length, 1);
        assert.equal(got[0]!.report, 1);
        const row = got[0]!.row as Json;
        assertRowMatchesCsv(row, csv[0]!);
        assert.equal(row.$hostname, "jsonsrv");
        assert.equal(row["count($line)"], 597);
      });
    } finally {
      await server.stop();
    }
  },
});
