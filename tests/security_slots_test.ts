/**
 * Read slots and connections cannot be held hostage (issue 9, items 6 and 7): clients killed
 * while holding or queueing for a MaxConcurrentCats slot give it back, clients that stop reading
 * lose their slot after ReadStallTimeoutSeconds, and idle unauthenticated sockets do not lock
 * out real clients. A real dserver (as dtail-srv); a second client checks it still answers.
 */
import assert from "node:assert/strict";
import { spawn } from "./helpers.ts";
import { assertServerAnswers, probeFile } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { connect, type Socket } from "node:net";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const queuedCount = (server: TestServer) =>
  server.log().match(/Server limit hit, queueing file/g)?.length ?? 0;

/** A world-readable log of about `mb` MB in a fresh 0755 directory. */
async function bigLog(mb: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-slots-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/big.log`;
  const line = "2026-12-03 05:26:20 INFO a fairly ordinary log line for the slot tests\n";
  const block = new TextEncoder().encode(line.repeat(Math.ceil((1 << 20) / line.length)));
  using file = await Deno.open(path, { write: true, create: true, mode: 0o644 });
  for (let i = 0; i < mb; i++) await file.write(block);
  await Deno.chmod(path, 0o644);
  return path;
}

function dcat(client: TestClient, server: TestServer, path: string): Deno.ChildProcess {
  return spawn("dcat", [
    "--cfg",
    "none",
    "--user",
    "dtail-alice",
    "--servers",
    server.address,
    "--trustAllHosts",
    "--plain",
    path,
  ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
}

/** Reads a child's stdout until `bytes` arrived, then stops reading (the pipe fills up). */
async function readSome(child: Deno.ChildProcess, bytes: number): Promise<void> {
  const reader = child.stdout.getReader();
  let got = 0;
  while (got < bytes) {
    const r = await reader.read();
    if (r.done) return;
    got += r.value.length;
  }
  reader.releaseLock();
}

async function kill(children: Deno.ChildProcess[]): Promise<void> {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch {
      // gone already
    }
  }
  for (const c of children) {
    await c.status;
    await c.stdout.cancel().catch(() => {});
    await c.stderr.cancel().catch(() => {});
  }
}

Deno.test({
  name: "dcats killed with SIGKILL while holding or queueing for a cat slot give every slot back",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxConcurrentCats: 2 } });
    const probe = await probeFile();
    const big = await bigLog(300);
    try {
      await assertServerAnswers(server, client, probe); // also trusts the host key
      for (let round = 0; round < 2; round++) {
        const holders = [dcat(client, server, big), dcat(client, server, big)];
        await Promise.all(holders.map((h) => readSome(h, 1 << 20)));
        const before = queuedCount(server);
        const queued = [0, 1, 2, 3].map(() => dcat(client, server, big));
        // All four connected and queued behind the two holders (a loaded machine may take seconds).
        const deadline = Date.now() + 20_000;
        while (queuedCount(server) < before + 4 && Date.now() < deadline) await sleep(100);
        assert.equal(queuedCount(server), before + 4, "every extra dcat queues for a slot");
        await kill([...holders, ...queued]);
        await assertServerAnswers(server, client, probe);
      }
      assert.doesNotMatch(server.log(), /\n\s+at /, "no stack trace in the server log");
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "clients that stop reading lose their cat slots after ReadStallTimeoutSeconds",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: { MaxConcurrentCats: 2, ReadStallTimeoutSeconds: 2 },
    });
    const probe = await probeFile();
    const big = await bigLog(300);
    const stalled = [dcat(client, server, big), dcat(client, server, big)];
    try {
      await assertServerAnswers(server, client, probe);
      await Promise.all(stalled.map((h) => readSome(h, 1 << 20))); // then never read again
      await sleep(2500); // the stall bound passes
      await assertServerAnswers(server, client, probe);
      assert.match(server.log(), /took no output for 2 s/);
    } finally {
      await kill(stalled);
      await server.stop();
    }
  },
});

Deno.test({
  name: "idle unauthenticated sockets up to MaxConnections do not lock real clients out",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      server: { MaxConnections: 5, MaxPreAuthConnections: 50, PreAuthTimeoutMs: 3000 },
    });
    const probe = await probeFile();
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 60; i++) {
        const s = connect(server.port, "127.0.0.1");
        s.on("error", () => {});
        sockets.push(s);
      }
      await sleep(300);
      await assertServerAnswers(server, client, probe);
      await sleep(3500); // past the pre-auth deadline: the idle sockets are gone
      const warnings = server.log().split("\n").filter((l) => /WARN/.test(l)).length;
      assert.ok(warnings < 10, `refusals and timeouts are logged at a bounded rate: ${warnings}`);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  },
});
