/**
 * `dtail --resume FILE` over SSH (docs/usage.md#resume-across-runs): the real client and a real
 * dserver; the dserver killed with SIGKILL and dtail stopped, lines written while both were down,
 * then both started again: every line exactly once. Entries of servers not in the run are neither
 * used nor lost.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient } from "./ssh_env.ts";
import { append, assertExactlyOnceInOrder, numbered } from "./follower.ts";
import { assertNoStackTrace } from "./helpers.ts";
import { goPeerSkipReason, GoServer } from "./go_peer_env.ts";
import { dtailAs, logDir, startResumeFixture } from "./ssh_resume_fixture.ts";

const PREFIX = "dtail-resume-state-ssh-";

Deno.test({
  name: "dtail --resume prints every line once when dserver and dtail were both down meanwhile",
  ignore: !canRunServers,
  fn: async () => {
    const { client, server, dir, app, stop } = await startResumeFixture(PREFIX);
    const state = `${dir}/state.json`;
    const args = ["--resume", state, `${dir}/*.log`];
    try {
      const first = dtailAs(client, server.address, ...args);
      await first.ready(app);
      const before = numbered("before", 0, 1000);
      await append(app, before);
      await first.waitFor((l) => l.includes("before 999"), "the lines before the crash");
      server.signal("SIGKILL");
      await server.stop();
      await first.stop("SIGTERM");
      assert.match(await Deno.readTextFile(state), new RegExp(`"${server.address}"`));

      const down = numbered("down", 0, 1000);
      await append(app, down);
      const fresh = numbered("new", 0, 100);
      await append(`${dir}/new.log`, fresh);
      await Deno.chmod(`${dir}/new.log`, 0o644);
      await server.restart();
      const second = dtailAs(client, server.address, ...args);
      const after = numbered("after", 0, 1000);
      await append(app, after);
      await second.waitFor(
        (l) => l.includes("after 999") && l.includes("new 99"),
        "every line after the restart",
      );
      await new Promise((r) => setTimeout(r, 300)); // a duplicate would show by now
      await second.stop("SIGTERM");
      const got = [...first.payload(), ...second.payload()].filter((l) => l !== "");
      assertExactlyOnceInOrder(got, [...before, ...down, ...after]);
      assertExactlyOnceInOrder(got, fresh);
      assert.equal(got.length, 3100, `lines: ${got.length}`);
      assert.doesNotMatch(second.stderr, /resume|cannot/, second.stderr);
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name: "positions of servers and targets not in the run are not used, and stay in the file",
  ignore: !canRunServers,
  fn: async () => {
    const { client, server, dir, app, stop } = await startResumeFixture(PREFIX);
    const state = `${dir}/state.json`;
    try {
      await append(app, numbered("old", 0, 10));
      const info = await Deno.stat(app);
      const position = { path: app, dev: info.dev, ino: info.ino!, offset: 0 };
      // Where another server was, and another target of this one: each would print "old" lines.
      const others = {
        "127.0.0.1:1": { [`${dir}/*.log`]: [position] },
        [server.address]: { [app]: [position] },
      };
      await Deno.writeTextFile(
        state,
        JSON.stringify({ kind: "dtail-resume-state", version: 1, servers: others }),
      );
      const f = dtailAs(client, server.address, "--resume", state, `${dir}/*.log`);
      await f.ready(app);
      await append(app, numbered("line", 0, 10));
      await f.waitFor((l) => l.includes("line 9"), "lines after the start");
      await f.stop("SIGTERM");
      assert.deepEqual(f.payload(), numbered("line", 0, 10));
      assertNoStackTrace(f.stderr);
      const saved = JSON.parse(await Deno.readTextFile(state));
      assert.deepEqual(saved.servers["127.0.0.1:1"], others["127.0.0.1:1"]);
      assert.deepEqual(saved.servers[server.address][app], [position]);
      const now = saved.servers[server.address][`${dir}/*.log`];
      assert.equal(now.length, 1);
      assert.equal(now[0].path, app);
      assert.equal(now[0].offset, (await Deno.stat(app)).size);
    } finally {
      await stop();
    }
  },
});

Deno.test({
  name:
    "with a Go dserver the saved positions are kept, unused, and dtail says so once at the start",
  ignore: goPeerSkipReason !== null,
  fn: async () => {
    const client = await TestClient.create();
    const go = await GoServer.start(client);
    const dir = await logDir(PREFIX);
    const app = `${dir}/app.log`;
    const state = `${dir}/state.json`;
    try {
      await append(app, numbered("old", 0, 10));
      const info = await Deno.stat(app);
      const saved = { [app]: [{ path: app, dev: info.dev, ino: info.ino!, offset: 0 }] };
      await Deno.writeTextFile(
        state,
        JSON.stringify({
          kind: "dtail-resume-state",
          version: 1,
          servers: { [go.address]: saved },
        }),
      );
      const f = dtailAs(client, go.address, "--resume", state, app);
      await f.waitFor(() => /cannot resume a follow/.test(f.stderr), "the warning");
      await f.ready(app);
      await f.stop("SIGTERM");
      assert.ok(!f.payload().some((l) => l.startsWith("old")), f.payload().join("\n"));
      const warnings = f.stderr.split("\n").filter((l) => /cannot resume a follow/.test(l));
      assert.equal(warnings.length, 1, f.stderr);
      assert.ok(warnings[0]!.includes(`${go.address}: `), warnings[0]);
      assert.deepEqual(JSON.parse(await Deno.readTextFile(state)).servers[go.address], saved);
    } finally {
      await go.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
