import assert from "node:assert/strict";
import type { ClientChannel } from "ssh2";
import { connect, genKey, shellOutput, testServer } from "./_test_ssh.ts";

Deno.test("a shell session reaches onShell as the authenticated user", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await c.ready;
  assert.equal(await shellOutput(c.client, "ping"), "hello alice\nping");
  await c.closed; // the server ends the connection when the shell channel closes
  assert.equal(t.shells.length, 1);
  assert.equal(t.shells[0]?.user, "alice");
  assert.equal(t.shells[0]?.isHealth, false);
  assert.equal(t.shells[0]?.remoteAddress, "127.0.0.1");
});

for (
  const [name, request] of [
    ["exec", (ch: RequestClient, cb: Cb) => ch.exec("ls", cb)],
    ["pty-req", (ch: RequestClient, cb: Cb) => ch.shell({ term: "xterm" }, cb)],
    ["env", (ch: RequestClient, cb: Cb) => ch.shell(false, { env: { LANG: "C" } }, cb)],
    ["subsystem", (ch: RequestClient, cb: Cb) => ch.subsys("sftp", cb)],
  ] as const
) {
  Deno.test(`a ${name} request closes the whole connection`, async () => {
    await using t = await testServer();
    const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
    await c.ready;
    const result = new Promise<Error | undefined>((resolve) =>
      request(c.client, (err, ch) => {
        ch?.on("error", () => {});
        resolve(err);
      })
    );
    await c.closed;
    const err = await Promise.race([result, Promise.resolve(undefined)]);
    assert.ok(err === undefined || err instanceof Error);
    assert.equal(t.shells.length, 0);
    assert.ok(
      t.lines.some((l) => l.includes("not allowed, closing connection")),
      t.lines.join("\n"),
    );
  });
}

type Cb = (err: Error | undefined, ch?: ClientChannel) => void;
type RequestClient = {
  exec(cmd: string, cb: Cb): unknown;
  shell(window: unknown, cb: Cb): unknown;
  shell(window: unknown, opts: unknown, cb: Cb): unknown;
  subsys(name: string, cb: Cb): unknown;
};

Deno.test("a non-session channel is rejected", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await c.ready;
  const err = await new Promise<Error | undefined>((resolve) =>
    c.client.forwardOut("127.0.0.1", 1, "127.0.0.1", 2, (e) => resolve(e))
  );
  assert.ok(err instanceof Error);
  assert.equal(await shellOutput(c.client, "still there"), "hello alice\nstill there");
  await c.closed;
});

Deno.test("a second session channel on one connection is refused and ends the connection", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await c.ready;
  const open = () =>
    new Promise<Error | undefined>((resolve) =>
      c.client.shell(false, (err: Error | undefined, ch?: ClientChannel) => {
        ch?.on("error", () => {});
        ch?.on("data", () => {});
        resolve(err);
      })
    );
  assert.equal(await open(), undefined, "the first session");
  const second = await open();
  assert.ok(second instanceof Error, "the second session is refused");
  await c.closed;
  assert.equal(t.shells.length, 1);
  assert.ok(
    t.lines.some((l) => l.includes("second session channel on one connection, closing connection")),
    t.lines.join("\n"),
  );
});

Deno.test("an unknown key fails authentication", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: t.user, privateKey: genKey().private });
  await assert.rejects(c.ready, /authentication methods failed/);
  c.client.end();
  await c.closed;
  assert.ok(t.lines.some((l) => l.includes("login as alice (publickey) failed")));
});

Deno.test("a known key of another user fails authentication", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: "bob", privateKey: t.key.private });
  await assert.rejects(c.ready, /authentication methods failed/);
  c.client.end();
  await c.closed;
});

Deno.test("DTAIL-HEALTH logs in with its password and gets a health session", async () => {
  await using t = await testServer();
  const c = connect(t.server.port, { username: "DTAIL-HEALTH", password: "DTAIL-HEALTH" });
  await c.ready;
  assert.equal(await shellOutput(c.client, "health"), "hello DTAIL-HEALTH\nhealth");
  await c.closed;
  assert.equal(t.shells[0]?.isHealth, true);
});

for (
  const [user, password] of [
    ["DTAIL-HEALTH", "wrong"],
    ["alice", "DTAIL-HEALTH"],
    ["DTAIL-SCHEDULE", "job"],
  ] as const
) {
  Deno.test(`password login as ${user} with "${password}" fails`, async () => {
    await using t = await testServer();
    const c = connect(t.server.port, { username: user, password });
    await assert.rejects(c.ready, /authentication methods failed/);
    c.client.end();
    await c.closed;
  });
}

Deno.test("logins beyond MaxConnections are refused; unauthenticated sockets do not count", async () => {
  await using t = await testServer({ maxConnections: 1 });
  const first = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await first.ready;
  const second = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await assert.rejects(second.ready);
  await second.closed;
  assert.deepEqual(t.server.counts(), { current: 1, lifetime: 2, preAuth: 0 });
  first.client.end();
  await first.closed;
  assert.ok(t.lines.some((l) => l.includes("MaxConnections (1) reached")));
});

Deno.test("sockets in their handshake have their own bound, MaxPreAuthConnections", async () => {
  await using t = await testServer({ maxConnections: 1, maxPreAuth: 2 });
  const idle = await Promise.all(
    [0, 1].map(() => Deno.connect({ hostname: "127.0.0.1", port: t.server.port })),
  );
  await new Promise((r) => setTimeout(r, 50));
  const third = await Deno.connect({ hostname: "127.0.0.1", port: t.server.port });
  const buf = new Uint8Array(1024);
  while ((await third.read(buf)) !== null) { /* closed at once, without an ident */ }
  third.close();
  for (const c of idle) c.close();
  await new Promise((r) => setTimeout(r, 50));
  const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await c.ready; // the slot for an authenticated connection was free all along
  c.client.end();
  await c.closed;
  assert.ok(t.lines.some((l) => l.includes("MaxPreAuthConnections (2) reached")));
});

Deno.test("a connection that does not authenticate in time is dropped", async () => {
  await using t = await testServer({ handshakeTimeoutMs: 200 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.port });
  const buf = new Uint8Array(1024);
  while ((await conn.read(buf)) !== null) { /* the server's ident, then EOF */ }
  conn.close();
  assert.ok(t.lines.some((l) => l.includes("handshake deadline")));
});

Deno.test("a throwing shell handler closes its channel and the server keeps running", async () => {
  let calls = 0;
  await using t = await testServer({
    onShell: () => {
      if (++calls === 1) throw new Error("boom");
      return Promise.reject(new Error("async boom"));
    },
  });
  for (let i = 0; i < 2; i++) {
    const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
    await c.ready;
    assert.equal(await shellOutput(c.client, ""), "");
    await c.closed;
  }
  assert.equal(t.lines.filter((l) => l.includes("handler failed")).length, 2);
});

Deno.test("close() ends open connections", async () => {
  const t = await testServer({ onShell: () => {} });
  const c = connect(t.server.port, { username: t.user, privateKey: t.key.private });
  await c.ready;
  await t[Symbol.asyncDispose]();
  await c.closed;
});
