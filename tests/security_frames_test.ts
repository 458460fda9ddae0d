/**
 * Security issue item 5 against a real dserver: a command frame that never ends, sent in tiny
 * writes (one SSH packet each), costs the server linear time, so it keeps answering everyone
 * else; a frame over MaxCommandFrameSize closes that session with one error line.
 */
import assert from "node:assert/strict";
import type { Client, ClientChannel } from "ssh2";
import { openShell } from "../cli/ssh/connect.ts";
import { MessageReader } from "../core/protocol/messages.ts";
import { assertNoStackTrace } from "./helpers.ts";
import { assertServerAnswers, probeFile } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { rawClient } from "./ssh_raw.ts";

const enc = new TextEncoder();

/** A shell channel whose messages are collected until it closes. */
async function session(c: Client): Promise<{
  channel: ClientChannel;
  messages: string[];
  closed: Promise<void>;
}> {
  const channel = await openShell(c, "test");
  channel.on("error", () => {});
  const reader = new MessageReader();
  const messages: string[] = [];
  const closed = (async () => {
    for await (const chunk of channel as AsyncIterable<Uint8Array>) {
      for (const m of reader.push(chunk)) messages.push(new TextDecoder().decode(m).trimEnd());
    }
  })().catch(() => {});
  return { channel, messages, closed };
}

/**
 * Writes `total` bytes of "A" in writes of `size` (each its own SSH packet), waiting for the
 * channel window and giving the event loop a turn every 256 writes; stops once `stop()` says so.
 * Returns the bytes written.
 */
async function trickle(
  channel: ClientChannel,
  total: number,
  size: (sent: number) => number,
  stop: () => boolean = () => false,
): Promise<number> {
  let sent = 0;
  for (let writes = 1; sent < total && !stop(); writes++) {
    const n = Math.min(total - sent, size(sent));
    sent += n;
    if (!channel.write(enc.encode("A".repeat(n)))) {
      await new Promise<void>((resolve) => {
        channel.once("drain", resolve);
        channel.once("close", resolve);
      });
    }
    if (writes % 256 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return sent;
}

Deno.test({
  name: "an endless frame in tiny writes does not stop a real dserver from answering",
  ignore: !canRunServers,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const probe = await probeFile();
    try {
      const c = await rawClient(client, server);
      const s = await session(c);
      s.channel.write(enc.encode("protocol 4.1 base64 "));
      const total = 400_000;
      let done = false;
      const sending = trickle(s.channel, total, (sent) => 1 + sent % 3).finally(() => done = true);
      let probes = 0;
      while (!done || probes === 0) {
        await assertServerAnswers(server, client, probe);
        probes++;
      }
      assert.equal(await sending, total);
      // The whole frame was kept: it ends as one (unknown) command of one word (300,000 NUL
      // bytes), quoted by its start.
      s.channel.write(enc.encode(";"));
      s.channel.end();
      await s.closed;
      c.end();
      const unknown = s.messages.find((m) => m.includes("Received unknown user command"));
      assert.ok(unknown, s.messages.join("\n"));
      assert.match(unknown, /\|1\|\[\0+\.\.\.\]\n?$/);
      assert.ok(unknown.length < 1000, `${unknown.length} bytes`);
      const notices = s.messages.filter((m) => m.includes("|ERROR|"));
      assert.deepEqual(notices, [unknown], "no frame error: one command");
      assertNoStackTrace(server.log());
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});

Deno.test({
  name: "a frame over MaxCommandFrameSize closes its session with one error line",
  ignore: !canRunServers,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const client = await TestClient.create();
    const limit = 65536;
    const server = await TestServer.start(client, { server: { MaxCommandFrameSize: limit } });
    const probe = await probeFile();
    try {
      const c = await rawClient(client, server);
      const s = await session(c);
      let closed = false;
      s.closed.then(() => closed = true);
      // 1 KB writes, 8 MB in all: more than the channel window, so the writes must stop once
      // the server stops reading.
      const sent = await trickle(s.channel, 8 << 20, () => 1024, () => closed);
      await s.closed;
      c.end();
      assert.ok(sent < 8 << 20, "the server closed the session before the writes ended");
      const errors = s.messages.filter((m) => m.startsWith("SERVER|"));
      assert.equal(errors.length, 1, s.messages.join("\n"));
      assert.match(errors[0]!, /\|ERROR\|.*\|command frame larger than 65536 bytes$/);
      const logged = /closing session: command frame larger than 65536 bytes/;
      for (const deadline = Date.now() + 5000; !logged.test(server.log());) {
        if (Date.now() > deadline) assert.fail(`not logged:\n${server.log()}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await assertServerAnswers(server, client, probe);
      assertNoStackTrace(server.log());
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});
