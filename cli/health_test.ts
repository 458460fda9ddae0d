import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import { generateEd25519Key } from "../server/ssh/host_key.ts";
import { checkHealth } from "./health.ts";

/** An ssh2 server taking DTAIL-HEALTH's password; `answer` false: it never starts the shell. */
async function healthServer(answer: boolean) {
  const connections = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [generateEd25519Key().private] }, (conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn)).on("error", () => {});
    conn.on("authentication", (ctx) => {
      const ok = ctx.method === "password" && ctx.password === "DTAIL-HEALTH";
      ok ? ctx.accept() : ctx.reject(["password"]);
    });
    conn.on("session", (accept) => {
      accept().on("shell", (acceptShell) => {
        if (!answer) return; // a hung server: the request is never answered
        const channel = acceptShell();
        // A message ends with the byte 0xAC (docs/protocol.md#messages).
        const ok = new Uint8Array([...new TextEncoder().encode("SERVER|testhost|OK\n"), 0xac]);
        channel.on("data", () => channel.write(ok));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const conn of connections) conn.end();
        server.close(() => resolve());
      }),
  };
}

Deno.test("a server that answers the health command is OK", async () => {
  const server = await healthServer(true);
  try {
    assert.deepEqual(await checkHealth(server.address, 2222), [
      0,
      `OK: All fine at ${server.address} :-)`,
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("a server that logs in and then says nothing is critical after the deadline", async () => {
  const server = await healthServer(false);
  try {
    const started = performance.now();
    const [code, line] = await checkHealth(server.address, 2222, 300);
    assert.equal(code, 2);
    assert.match(line, /^CRITICAL: DTail server not operating properly/);
    assert.ok(performance.now() - started < 3000, "given up at the deadline");
  } finally {
    await server.close();
  }
});
