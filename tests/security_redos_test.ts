/**
 * Every pattern runs in linear time (security issue, item 3): a regex from a user stalls neither
 * a dserver (whose other sessions keep being served) nor a serverless run (which still honours
 * SIGTERM). Catastrophic-backtracking patterns on a real dserver (as dtail-srv, serving
 * dtail-alice) and serverless.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, spawn } from "./helpers.ts";
import { assertServerAnswers, probeFile, within } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const encoder = new TextEncoder();

/** An ordinary 124-character log line (no # or %), different for each `i`. */
function ordinaryLine(i: number): string {
  return `2024-01-02 12:00:${String(i % 60).padStart(2, "0")} INFO [worker-${i % 16}] http.go:${
    i % 997
  } request handled id=${i} user=alice latency=${i % 1000}ms path=/api`.padEnd(124, "x");
}

async function logDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-redos-" });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function writeLog(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o644);
}

/** About `mb` MB of ordinary lines without # or %, written in 1 MB blocks. */
async function writeBigLog(path: string, mb: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 1 << 20; i++) {
    lines.push(ordinaryLine(i));
    size += 125;
  }
  const block = encoder.encode(lines.join("\n") + "\n");
  const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o644 });
  try {
    for (let i = 0; i < mb; i++) await file.write(block);
  } finally {
    file.close();
  }
  await Deno.chmod(path, 0o644);
}

/** The pid of the dserver started with the config in `dir` (TestServer keeps its child private). */
function serverPid(dir: string): number {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(`${dir}/dtail.json`) && cmdline.includes("app/main.ts")) {
        return Number(entry.name);
      }
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no dserver process for ${dir}`);
}

/** The CPU time (user + system, all threads) of process `pid` over `ms`, per millisecond. */
async function cpuShare(pid: number, ms: number): Promise<number> {
  const ticks = () => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  };
  const before = ticks();
  const t0 = performance.now();
  await sleep(ms);
  const elapsed = performance.now() - t0;
  return ((ticks() - before) * 10) / elapsed; // 100 ticks per second
}

/** The two pathological files with their expected dgrep output. */
async function pathologicalLogs(dir: string) {
  const aLines = ["a".repeat(29), "aaab", "a".repeat(40), "x".repeat(29) + "b", "a".repeat(29)];
  const plain = Array.from({ length: 2000 }, (_, i) => ordinaryLine(i));
  plain[10] = ordinaryLine(10).slice(0, 100) + " #tag";
  plain[1500] = ordinaryLine(1500).slice(0, 60) + "%" + ordinaryLine(1500).slice(61);
  const aPath = `${dir}/aaa.log`;
  const plainPath = `${dir}/plain.log`;
  await writeLog(aPath, aLines.join("\n") + "\n");
  await writeLog(plainPath, plain.join("\n") + "\n");
  return {
    aPath,
    aWant: "aaab\n",
    plainPath,
    plainWant: `${plain[10]}\n${plain[1500]}\n`,
  };
}

Deno.test({
  name: "dserver: pathological regexes answer promptly and right, and the server keeps serving",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    // The two greps below hold two read slots; the probing dcat gets the third instead of queueing
    // behind MaxConcurrentCats (DTail's configured limit, not a stall: security_slots_test.ts).
    const server = await TestServer.start(client, { server: { MaxConcurrentCats: 3 } });
    const dir = await logDir();
    const probe = await probeFile();
    const logs = await pathologicalLogs(dir);
    const dgrep = (args: string[]) =>
      client.run("dgrep", [server], ["--plain", "--trustAllHosts", ...args]);
    try {
      await t.step("(a+)+b on lines of 29 and 40 a's", async () => {
        const r = await within(15_000, "dgrep (a+)+b", dgrep(["--regex", "(a+)+b", logs.aPath]));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, logs.aWant);
      });
      await t.step("(.+)+[#%] on ordinary 124-character lines", async () => {
        const r = await within(
          15_000,
          "dgrep (.+)+[#%]",
          dgrep(["--regex", "(.+)+[#%]", logs.plainPath]),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, logs.plainWant);
      });
      await t.step("(?i)(a+)+b and a lookbehind RE2 refuses", async () => {
        const r = await within(15_000, "dgrep", dgrep(["--regex", "(?i)(A+)+B", logs.aPath]));
        assert.equal(r.text, logs.aWant);
        const bad = await dgrep(["--regex", "(?<=a)b", logs.aPath]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /invalid named capture/);
        assertNoStackTrace(bad.stderr);
      });
      await t.step("while such greps run, a second client is served", async () => {
        const big = `${dir}/big.log`;
        await writeBigLog(big, 200);
        const regexes = ["(.+)+[#%]", "(x+x+)+y"];
        const greps = regexes.map((regex) =>
          spawn("dgrep", [
            "--cfg",
            "none",
            "--user",
            "dtail-alice",
            "--servers",
            server.address,
            "--plain",
            "--trustAllHosts",
            "--regex",
            regex,
            big,
          ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } })
        );
        try {
          await sleep(500); // the server's sessions are grepping
          const running = await Promise.all(
            greps.map((g) => Promise.race([g.status.then(() => 0), sleep(0).then(() => 1)])),
          );
          assert.ok(running.some((r) => r === 1), "the greps run while the second client asks");
          await assertServerAnswers(server, client, probe);
        } finally {
          for (const g of greps) {
            try {
              g.kill("SIGKILL");
            } catch {
              // already done
            }
            await g.output();
          }
        }
      });
      await t.step(
        "10,000 dots over 1 MB lines: the server answers, and stops once the client is gone",
        async () => {
          // re2js matches each line for minutes (O(pattern × line)); it runs on the server's regex
          // workers, never on the thread that serves the sessions.
          const long = `${dir}/long-lines.log`;
          const line = "x".repeat((1 << 20) - 2) + "#\n";
          await writeLog(long, line.repeat(4));
          const grep = spawn("dgrep", [
            "--cfg",
            "none",
            "--user",
            "dtail-alice",
            "--servers",
            server.address,
            "--plain",
            "--trustAllHosts",
            "--regex",
            ".".repeat(10_000) + "#",
            long,
          ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
          try {
            await sleep(1500); // the server is matching the first line
            await assertServerAnswers(server, client, probe);
            const running = await Promise.race([grep.status.then(() => 0), sleep(0).then(() => 1)]);
            assert.equal(running, 1, "the grep was still running");
          } finally {
            grep.kill("SIGKILL");
            await grep.output();
          }
          // The session ended with its client: its task is cancelled and the worker stopped.
          const pid = serverPid(server.dir);
          await sleep(1000);
          const busy = await cpuShare(pid, 2000);
          assert.ok(busy < 0.4, `the server still used ${Math.round(busy * 100)}% of a core`);
        },
      );
      await t.step("and after them too", async () => {
        await assertServerAnswers(server, client, probe);
      });
    } finally {
      const stopped = await Promise.race([server.stop().then(() => true), sleep(10_000)]);
      if (!stopped) server.signal("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
    assert.doesNotMatch(server.log(), /\n\s+at /, "no stack trace in the server log");
  },
});

Deno.test("serverless: (a+)+b over a big file of a-lines completes fast and right", async () => {
  const dir = await logDir();
  try {
    const path = `${dir}/a.log`;
    const lines = Array.from({ length: 100_000 }, (_, i) => "a".repeat(29 + (i % 3)));
    lines[500] = "aaaab";
    lines[99_000] = "ab";
    await writeLog(path, lines.join("\n") + "\n");
    const child = spawn("dgrep", ["--plain", "--regex", "(a+)+b", path]);
    const output = child.output();
    const out = await Promise.race([output, sleep(20_000).then(() => null)]);
    if (out === null) {
      child.kill("SIGKILL");
      await output;
      assert.fail("dgrep (a+)+b over 100000 lines took longer than 20 s");
    }
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout), "aaaab\nab\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverless: a long dgrep with a slow pattern exits within a second of SIGTERM", async () => {
  const dir = await logDir();
  try {
    const path = `${dir}/big.log`;
    await writeBigLog(path, 200);
    for (const regex of ["(.+)+[#%]", "absent|(x+x+)+y"]) {
      const child = spawn("dgrep", ["--plain", "--regex", regex, path]);
      await sleep(700); // well into the file (200 MB take seconds with these patterns)
      const status = await Promise.race([
        child.status.then(() => "already ended"),
        sleep(0).then(() => "running"),
      ]);
      assert.equal(status, "running", `${regex}: still working on 200 MB`);
      const t0 = performance.now();
      child.kill("SIGTERM");
      const output = child.output();
      const ended = await Promise.race([output, sleep(5000).then(() => null)]);
      const ms = performance.now() - t0;
      if (ended === null) {
        child.kill("SIGKILL");
        await output;
      }
      assert.ok(ended !== null && ms < 1000, `${regex}: exited ${Math.round(ms)} ms after SIGTERM`);
      assertNoStackTrace(new TextDecoder().decode(ended.stderr));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverless: dgrep refuses a backreference with RE2's reason", async () => {
  const r = await run("dgrep", ["--plain", "--regex", "(a)\\1", "/dev/null"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    'dgrep: invalid regular expression "(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1`\n',
  );
});
