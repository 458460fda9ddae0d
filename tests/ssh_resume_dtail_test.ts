/**
 * `dtail` resumes a follow after its dserver was killed (issue 14, docs/protocol.md#resume): the
 * real client binary, a real dserver killed with SIGKILL and restarted on the same port; every
 * line written before, while down (also to a new matching file) and after is printed exactly once,
 * in order per file. Against a server that cannot resume, dtail says so once and goes on as before.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, assertExactlyOnceInOrder, type Follower, numbered } from "./follower.ts";
import { goPeerSkipReason, GoServer } from "./go_peer_env.ts";
import { dtailAs, logDir, startResumeFixture } from "./ssh_resume_fixture.ts";

const PREFIX = "dtail-resume-dtail-";
const NO_RESUME = /the server cannot resume a follow: lines written while disconnected may be/;

/** The text of the printed lines: plain as they are, REMOTE lines without their head. */
function texts(lines: string[], plain: boolean): string[] {
  return plain ? lines : lines.map((l) => l.split("|").slice(5).join("|"));
}

/** Appends marker lines until one is printed: dtail is then following (Follower.ready, any mode). */
async function ready(f: Follower, path: string, plain: boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await append(path, [`ready-${i}`]);
    const deadline = Date.now() + 25;
    while (Date.now() < deadline) {
      if (texts(f.lines, plain).some((l) => l.startsWith("ready-"))) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  throw new Error(`dtail never became ready; stderr: ${f.stderr}`);
}

/**
 * Appends marker lines until one was printed `servers` times, once by each server of a file
 * both follow: every one of them is then following (one printed marker says only that one is).
 */
async function readyOnAll(f: Follower, path: string, servers: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    await append(path, [`ready-${i}`]);
    const deadline = Date.now() + 25;
    while (Date.now() < deadline) {
      const counts = new Map<string, number>();
      for (const l of f.lines) {
        if (l.startsWith("ready-")) counts.set(l, (counts.get(l) ?? 0) + 1);
      }
      if ([...counts.values()].some((n) => n >= servers)) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  throw new Error(`dtail never followed on all ${servers} servers; stderr: ${f.stderr}`);
}

for (const plain of [true, false]) {
  Deno.test({
    name: `dtail${plain ? " --plain" : ""} prints every line once across a dserver crash, ` +
      "also those written while the dserver was down",
    ignore: !canRunServers,
    fn: async () => {
      const { client, server, dir, app, stop } = await startResumeFixture(PREFIX);
      // Follower passes --plain first; a later --plain=false turns it off.
      const f = dtailAs(
        client,
        server.address,
        ...(plain ? [] : ["--plain=false", "--noColor"]),
        `${dir}/*.log`,
      );
      const lines = () => texts(f.lines, plain);
      try {
        await ready(f, app, plain);
        const before = numbered("before", 0, 1000);
        await append(app, before);
        await f.waitFor(() => lines().includes("before 999"), "the lines before the crash");
        server.signal("SIGKILL");
        await server.stop();
        const down = numbered("down", 0, 1000);
        await append(app, down);
        const fresh = numbered("new", 0, 100);
        await Deno.writeTextFile(`${dir}/new.log`, fresh.join("\n") + "\n");
        await Deno.chmod(`${dir}/new.log`, 0o644);
        await server.restart();
        const restarted = Date.now();
        const after = numbered("after", 0, 1000);
        await append(app, after);
        await f.waitFor(
          () => lines().includes("after 999") && lines().includes("new 99"),
          "every line after the restart",
          5000,
        );
        const elapsed = Date.now() - restarted;
        assert.ok(elapsed <= 5000, `took ${elapsed} ms after the restart`);
        await new Promise((r) => setTimeout(r, 300)); // a duplicate would show by now
        const got = lines().filter((l) => !l.startsWith("ready-") && l !== "");
        assertExactlyOnceInOrder(got, [...before, ...down, ...after]);
        assertExactlyOnceInOrder(got, fresh);
        assert.equal(got.length, 3100, `lines: ${got.length}`);
        assert.doesNotMatch(f.stderr, NO_RESUME);
      } finally {
        await f.stop();
        await stop();
      }
    },
  });
}

Deno.test({
  name: "against a server without resume dtail says once that lines may be missing, and goes on",
  ignore: goPeerSkipReason !== null,
  fn: async () => {
    const client = await TestClient.create();
    const go = await GoServer.start(client);
    const ours = await TestServer.start(client);
    const dir = await logDir(PREFIX);
    const app = `${dir}/app.log`;
    const f = dtailAs(client, `${go.address},${ours.address}`, app);
    try {
      await readyOnAll(f, app, 2);
      await append(app, ["one"]);
      await f.waitFor((l) => l.filter((x) => x === "one").length === 2, "a line from both");
      assert.doesNotMatch(f.stderr, NO_RESUME);
      await go.stop();
      await f.waitFor(() => /reconnecting/.test(f.stderr), "the reconnect notice");
      const warnings = f.stderr.split("\n").filter((l) => NO_RESUME.test(l));
      assert.equal(warnings.length, 1, f.stderr);
      assert.ok(warnings[0]!.includes(`${go.address}: `), warnings[0]);
      // Our server's connection goes on, without the warning.
      await append(app, ["two"]);
      await f.waitFor((l) => l.includes("two"), "a line after the warning");
    } finally {
      await f.stop();
      await ours.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
