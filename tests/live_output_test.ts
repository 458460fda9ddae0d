/**
 * Live query output through a real pseudo-terminal (docs/usage.md#live-output): the screen after
 * the run (tests/_screen.ts replays what the terminal got) holds one table, the latest, and no
 * progress line, which was drawn meanwhile; through a pipe, or with NO_COLOR, no escape sequence
 * of ours is written. Over SSH the progress line counts the bytes our dserver reads (its progress
 * messages) and only the end of a Go dserver's run.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { runOnPty } from "./live_pty.ts";
import { Screen } from "./_screen.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { goPeerSkipReason, GoServer } from "./go_peer_env.ts";
import { formatBytes } from "../cli/progress_line.ts";

const COLUMNS = 100;
const ROWS = 40;
/** Many groups: mapping 60 MB of it takes this machine a second or more. */
const QUERY =
  "from STATS select count($line),max(lifetimeConnections) group by lifetimeConnections " +
  "order by count($line) desc, max(lifetimeConnections) limit 3 interval 1";
const PROGRESS = /dmap: (?:(\S+ \S+) of (\S+ \S+) \(\d+%\), )?\d+ of \d+ (files|servers) done/g;
const CURSOR_UP = new RegExp("\x1b\\[\\d*A");
/** The rows of a result table on screen. */
const TABLE_HEADER = /^ count\(\$line\) \| max\(lifetimeConnections\)/;

/** A stats log of `lines` lines with 100 000 distinct groups. */
/** `lines` stats lines, written `repeats` times over (each group `repeats` times as often). */
async function bigLog(
  dir: string,
  lines = 500_000,
  repeats = 1,
): Promise<{ path: string; size: number }> {
  const path = `${dir}/stats.log`;
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let chunk = "";
  for (let i = 0; i < lines; i++) {
    chunk += `INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|` +
      `currentConnections=${i % 7}|lifetimeConnections=${i % 100_000}\n`;
    if (chunk.length > 1 << 20) {
      chunks.push(encoder.encode(chunk));
      chunk = "";
    }
  }
  chunks.push(encoder.encode(chunk));
  for (let r = 0; r < repeats; r++) for (const c of chunks) await file.write(c);
  file.close();
  await Deno.chmod(path, 0o644);
  await Deno.chmod(dir, 0o755);
  return { path, size: (await Deno.stat(path)).size };
}

/** How many result tables a screen shows, scrolled-off lines included. */
function tables(screen: Screen): number {
  return screen.all().filter((l) => TABLE_HEADER.test(l)).length;
}

/** The progress lines the terminal was sent. */
function progressLines(output: string): RegExpMatchArray[] {
  return [...output.matchAll(PROGRESS)];
}

Deno.test("serverless dmap on a terminal ends with one table and no progress line, drawn meanwhile", async () => {
  const dir = await tempDir("dtail-live-");
  // ~220 MB: a run of half a second or more, so that the line (first drawn at 250 ms) shows.
  const log = await bigLog(dir, 500_000, 4);
  const r = await runOnPty("dmap", ["--cfg", "none", "--noColor", QUERY, log.path], {
    columns: COLUMNS,
    rows: ROWS,
  }).finally(() => Deno.remove(dir, { recursive: true }));
  assert.equal(r.code, 0, r.output);
  assertNoStackTrace(r.output);
  const drawn = progressLines(r.output);
  assert.ok(drawn.length > 0, `no progress line was drawn: ${JSON.stringify(r.output)}`);
  for (const m of drawn) {
    assert.equal(m[2], formatBytes(log.size), m[0]);
    assert.equal(m[3], "files");
  }
  const screen = new Screen(COLUMNS, ROWS).write(r.output);
  assert.equal(tables(screen), 1, screen.text());
  assert.doesNotMatch(screen.text(), PROGRESS);
  // The final result: each of the first groups 4 × 5 times.
  assert.match(
    screen.text(),
    /\n +20 \| +0\.0+ *\n +20 \| +\d+\.0+ *\n +20 \| +\d+\.0+ *$/,
    screen.text(),
  );
});

Deno.test("serverless dmap through a pipe prints no escape sequence and scrolls as before", async () => {
  const dir = await tempDir("dtail-live-");
  const log = await bigLog(dir, 200_000);
  const piped = await run("dmap", ["--cfg", "none", "--noColor", QUERY, log.path]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(!piped.text.includes("\x1b"), piped.text);
  assert.ok(!piped.stderr.includes("\x1b"), piped.stderr);
  assert.doesNotMatch(piped.stderr, PROGRESS);
  // NO_COLOR on a terminal: scrolling reports, no progress line, no cursor movement.
  const plain = await runOnPty("dmap", ["--cfg", "none", QUERY, log.path], {
    env: { NO_COLOR: "1" },
  });
  assert.equal(plain.code, 0, plain.output);
  assert.doesNotMatch(plain.output, CURSOR_UP);
  assert.doesNotMatch(plain.output, PROGRESS);
  assert.ok(plain.output.replaceAll("\r\n", "\n").endsWith(piped.text), plain.output);
});

Deno.test("dtail --query on a terminal redraws its table in place with each interval's numbers", async () => {
  const dir = await tempDir("dtail-live-");
  const log = `${dir}/grow.log`;
  await Deno.writeTextFile(log, "");
  const query = "from STATS select count($line),max($goroutines) group by host interval 1";
  const line = (goroutines: number) =>
    `INFO|1002-071143|1|stats.go:56|8|${goroutines}|7|0.21|471h0m21s|MAPREDUCE:STATS|` +
    `currentConnections=1|host=web01\n`;
  const bursts: [number, number][] = [[3, 10], [5, 20], [2, 30]];
  const r = await runOnPty("dtail", ["--cfg", "none", "--noColor", "--timeout", "7", query, log], {
    columns: COLUMNS,
    rows: ROWS,
    during: async (pty) => {
      await pty.waitFor("", 0, 1000).catch(() => {});
      await new Promise((r) => setTimeout(r, 1500));
      for (const [count, goroutines] of bursts) {
        await Deno.writeTextFile(log, line(goroutines).repeat(count), { append: true });
        await new Promise((r) => setTimeout(r, 1500));
      }
    },
  });
  assert.equal(r.code, 0, r.output);
  // Three reports were printed, each over the one before.
  assert.equal(
    [...r.output.matchAll(new RegExp(`${CURSOR_UP.source}\x1b\\[J`, "g"))].length,
    bursts.length - 1,
    r.output,
  );
  const screen = new Screen(COLUMNS, ROWS).write(r.output);
  const shown = screen.all().filter((l) => /^ count\(\$line\) \|/.test(l));
  assert.equal(shown.length, 1, screen.text());
  assert.match(screen.text(), /\n +2 \| +30\.0+ *$/, screen.text());
});

Deno.test({
  name: "over SSH, dmap's progress line counts the bytes our dserver reads and is gone at the end",
  ignore: !canRunServers,
  fn: async () => {
    const dir = await tempDir("dtail-live-");
    const log = await bigLog(dir); // 100,000 groups: seconds over SSH, the line is drawn
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      const r = await runOnPty("dmap", [
        "--cfg",
        "none",
        "--user",
        "dtail-alice",
        "--servers",
        server.address,
        "--trustAllHosts",
        "--noColor",
        QUERY,
        log.path,
      ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" }, columns: COLUMNS, rows: ROWS });
      assert.equal(r.code, 0, r.output);
      assertNoStackTrace(r.output);
      const drawn = progressLines(r.output);
      const withBytes = drawn.filter((m) => m[2] !== undefined);
      assert.ok(withBytes.length > 0, `no bytes were shown: ${JSON.stringify(r.output)}`);
      for (const m of withBytes) assert.equal(m[2], formatBytes(log.size), m[0]);
      const screen = new Screen(COLUMNS, ROWS).write(r.output);
      assert.equal(tables(screen), 1, screen.text());
      assert.doesNotMatch(screen.text(), PROGRESS);
      assert.match(
        screen.text(),
        /\n +5 \| +0\.0+ *\n +5 \| +\d+\.0+ *\n +5 \| +\d+\.0+ *$/,
        screen.text(),
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "over SSH, a Go dserver counts only as done, its bytes unknown",
  ignore: goPeerSkipReason !== null,
  fn: async () => {
    const dir = await tempDir("dtail-live-");
    const log = await bigLog(dir, 100_000);
    const client = await TestClient.create();
    const ours = await TestServer.start(client);
    const go = await GoServer.start(client);
    try {
      const r = await runOnPty("dmap", [
        "--cfg",
        "none",
        "--user",
        "dtail-alice",
        "--servers",
        `${ours.address},${go.address}`,
        "--trustAllHosts",
        "--noColor",
        QUERY,
        log.path,
      ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" }, columns: COLUMNS, rows: ROWS });
      assert.equal(r.code, 0, r.output);
      const drawn = progressLines(r.output);
      assert.ok(drawn.length > 0, `no progress line was drawn: ${JSON.stringify(r.output)}`);
      for (const m of drawn) {
        assert.match(m[0], / of 2 servers done$/);
        // The total is our dserver's file alone: the Go dserver sends no bytes.
        if (m[2] !== undefined) assert.equal(m[2], formatBytes(log.size), m[0]);
      }
      const screen = new Screen(COLUMNS, ROWS).write(r.output);
      assert.equal(tables(screen), 1, screen.text());
      assert.doesNotMatch(screen.text(), PROGRESS);
      // Both servers' groups: each group once from each.
      assert.match(
        screen.text(),
        /\n +2 \| +0\.0+ *\n +2 \| +\d+\.0+ *\n +2 \| +\d+\.0+ *$/,
        screen.text(),
      );
    } finally {
      await ours.stop();
      await go.stop();
    }
  },
});
