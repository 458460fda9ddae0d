/**
 * The SESSION protocol (docs/protocol.md#session) against a real dserver over SSH, driven by a raw
 * client: START and UPDATE with their acks, the Go dserver's refusals, a follow replaced while it
 * runs, and a session that stays open after its reads.
 */
import assert from "node:assert/strict";
import type { ClientChannel } from "ssh2";
import { openShell } from "../cli/ssh/connect.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { MessageReader } from "../core/protocol/messages.ts";
import { buildSessionCommand, type SessionSpec } from "../core/protocol/session_spec.ts";
import { assertNoStackTrace } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { rawClient } from "./ssh_raw.ts";

const IGNORE = !canRunServers;

/** A shell channel: frames in, messages out, collected as they come. */
async function shell(client: TestClient, server: TestServer) {
  const c = await rawClient(client, server);
  const channel: ClientChannel = await openShell(c, "test");
  channel.on("error", () => {});
  const reader = new MessageReader();
  const messages: string[] = [];
  const closed = (async () => {
    for await (const chunk of channel as AsyncIterable<Uint8Array>) {
      for (const m of reader.push(chunk)) messages.push(new TextDecoder().decode(m));
    }
  })().catch(() => {});
  return {
    messages,
    send: (command: string) => channel.write(encodeFrame(command)),
    async until(what: string, holds: (messages: string[]) => boolean, ms = 10_000) {
      for (const deadline = Date.now() + ms; !holds(messages);) {
        if (Date.now() > deadline) {
          assert.fail(`timed out waiting for ${what}:\n${messages.join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async end() {
      channel.end();
      c.end();
      await closed;
    },
  };
}

async function logDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-session-" });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function writeLog(path: string, lines: string[], append = false): Promise<void> {
  await Deno.writeTextFile(path, lines.map((l) => `${l}\n`).join(""), { append, mode: 0o644 });
}

function spec(overrides: Partial<SessionSpec>): SessionSpec {
  return {
    mode: "grep",
    files: [],
    options: {},
    query: "",
    regex: "",
    invert: false,
    timeout: 0,
    ...overrides,
  };
}

const acks = (messages: string[]) => messages.filter((m) => m.startsWith(".syn session"));
const lines = (messages: string[]) =>
  messages.filter((m) => m.startsWith("REMOTE|")).map((m) => m.split("|").at(-1)!.trimEnd());

Deno.test({
  name: "a real dserver takes SESSION START and UPDATE, refuses bad payloads and stays open",
  ignore: IGNORE,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await logDir();
    await writeLog(`${dir}/a.log`, ["1 ERROR", "2 WARN", "3 INFO", "4 ERROR", "5 WARN"]);
    const s = await shell(client, server);
    try {
      await s.until("the capabilities", (m) => m.length > 0);
      assert.match(s.messages[0]!, /^\.syn capabilities .*\bquery-update-v1\b/);
      s.send(buildSessionCommand("update", spec({ files: [`${dir}/a.log`] })));
      s.send(buildSessionCommand("start", spec({ files: [`${dir}/a.log`], regex: "ERROR" })));
      await s.until("the ERROR lines", (m) => lines(m).length === 2);
      s.send("SESSION START %%%");
      s.send("SESSION FROB " + buildSessionCommand("start", spec({ files: [] })).split(" ")[2]);
      s.send(buildSessionCommand("start", spec({ files: [`${dir}/a.log`] })));
      s.send(buildSessionCommand("update", spec({ files: [`${dir}/a.log`], regex: "WARN" })));
      await s.until("the WARN lines", (m) => lines(m).length === 4);
      s.send(buildSessionCommand("update", spec({ mode: "cat", files: [`${dir}/a.log`] }), 7));
      await s.until("the whole file", (m) => lines(m).length === 9);
      await new Promise((r) => setTimeout(r, 500)); // the reads are done: the session stays
      assert.deepEqual(acks(s.messages), [
        ".syn session err session not started",
        ".syn session start ok 1",
        ".syn session err invalid session payload",
        ".syn session err unknown action",
        ".syn session err session already started",
        ".syn session update ok 2",
        ".syn session update ok 7",
      ]);
      assert.deepEqual(lines(s.messages), [
        "1 ERROR",
        "4 ERROR",
        "2 WARN",
        "5 WARN",
        "1 ERROR",
        "2 WARN",
        "3 INFO",
        "4 ERROR",
        "5 WARN",
      ]);
      assert.ok(!s.messages.includes(".syn close connection"), s.messages.join("\n"));
    } finally {
      await s.end();
      assert.equal(await server.stop(), 0);
    }
    assertNoStackTrace(server.log());
  },
});

Deno.test({
  name: "an UPDATE replaces a running follow on a real dserver and old lines stop at the ack",
  ignore: IGNORE,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await logDir();
    const path = `${dir}/app.log`;
    await writeLog(path, ["before"]);
    const s = await shell(client, server);
    try {
      s.send(buildSessionCommand("start", spec({ mode: "tail", files: [path], regex: "ERROR" })));
      await s.until("the start ack", (m) => acks(m).length === 1);
      await new Promise((r) => setTimeout(r, 300)); // the follow is at the end of the file
      await writeLog(path, ["a ERROR", "a WARN"], true);
      await s.until("the ERROR line", (m) => lines(m).includes("a ERROR"));
      s.send(buildSessionCommand("update", spec({ mode: "tail", files: [path], regex: "WARN" })));
      await s.until("the update ack", (m) => acks(m).length === 2);
      await new Promise((r) => setTimeout(r, 300));
      await writeLog(path, ["b ERROR", "b WARN"], true);
      await s.until("the WARN line", (m) => lines(m).includes("b WARN"));
      await new Promise((r) => setTimeout(r, 200));
      const ack = s.messages.indexOf(".syn session update ok 2");
      assert.deepEqual(lines(s.messages.slice(0, ack)), ["a ERROR"]);
      assert.deepEqual(lines(s.messages.slice(ack)), ["b WARN"]);
    } finally {
      await s.end();
      assert.equal(await server.stop(), 0);
    }
    assertNoStackTrace(server.log());
  },
});

Deno.test({
  name: "a MapReduce session on a real dserver sends the new query's groups after an UPDATE",
  ignore: IGNORE,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await logDir();
    const stats = (g: number, host: string) =>
      `INFO|1124-101010|1|s.go:1|8|${g}|7|0.5|1s|MAPREDUCE:STATS|host=${host}`;
    await writeLog(`${dir}/s.log`, [stats(4, "web01"), stats(6, "web01"), stats(9, "web02")]);
    const map = spec({ mode: "map", files: [`${dir}/s.log`], regex: "\\|MAPREDUCE:STATS\\|" });
    const s = await shell(client, server);
    try {
      s.send(buildSessionCommand("start", { ...map, query: "from STATS select count($line)" }));
      await s.until("the first groups", (m) => m.some((x) => x.startsWith("AGGREGATE|")));
      s.send(buildSessionCommand("update", {
        ...map,
        query: "from STATS select max($goroutines) group by host",
      }));
      await s.until(
        "the new groups",
        (m) => m.filter((x) => x.startsWith("AGGREGATE|")).length === 3,
      );
      await new Promise((r) => setTimeout(r, 1500)); // an interval: nothing more comes
      const host = s.messages.find((m) => m.startsWith("AGGREGATE|"))!.split("|")[1];
      assert.deepEqual(
        s.messages.filter((m) => m.startsWith("AGGREGATE|") || m.startsWith(".syn session")),
        [
          ".syn session start ok 1",
          `AGGREGATE|${host}|∥3∥count($line)≔3∥`,
          ".syn session update ok 2",
          `AGGREGATE|${host}|web01∥2∥max($goroutines)≔6∥`,
          `AGGREGATE|${host}|web02∥1∥max($goroutines)≔9∥`,
        ],
      );
    } finally {
      await s.end();
      assert.equal(await server.stop(), 0);
    }
    assertNoStackTrace(server.log());
  },
});
