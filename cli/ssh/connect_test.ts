import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { loadAuth } from "./auth.ts";
import {
  connect,
  ConnectError,
  type ConnectOptions,
  hostKeyAlgorithms,
  openShell,
} from "./connect.ts";
import { parseServerAddress } from "./server_list.ts";
import { HostTrust } from "./trust_prompt.ts";
import {
  agentMissing,
  generateKey,
  run,
  type TestKey,
  withAgent,
  withTempDir,
} from "./_test_keys.ts";
import { base64, closedPort, startTestServer, type TestServer } from "./_test_server.ts";

interface Fixture {
  home: string;
  key: TestKey;
  server: TestServer;
  warnings: string[];
  knownHosts: string;
  options(extra?: Partial<ConnectOptions>): Promise<ConnectOptions>;
}

/** A HOME with ~/.ssh/id_ed25519 and a server accepting it; no agent, nothing trusted yet. */
async function withServer(fn: (f: Fixture) => Promise<void>) {
  await withTempDir(async (home) => {
    await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
    const key = await generateKey(`${home}/.ssh`, "id_ed25519");
    const server = await startTestServer([key.publicLine]);
    const warnings: string[] = [];
    const knownHosts = `${home}/.ssh/known_hosts`;
    const trusts: HostTrust[] = [];
    const options = async (extra: Partial<ConnectOptions> = {}): Promise<ConnectOptions> => {
      const trust = new HostTrust({
        knownHostsPath: knownHosts,
        trustAll: true,
        warn: (l) => warnings.push(l),
      });
      trusts.push(trust);
      const env = (n: string) => ({ HOME: home } as Record<string, string>)[n];
      const auth = extra.auth ?? await loadAuth({ env });
      return { user: "alice", trust, ...extra, auth };
    };
    try {
      await fn({ home, key, server, warnings, knownHosts, options });
    } finally {
      for (const t of trusts) t.close();
      await server.close();
    }
  });
}

const address = (port: number) => parseServerAddress(`127.0.0.1:${port}`, 2222);

function end(client: { end(): void; once(e: "close", f: () => void): void }): Promise<void> {
  return new Promise((resolve) => {
    client.once("close", resolve);
    client.end();
  });
}

Deno.test("a good key connects and opens a shell channel without a pty", async () => {
  await withServer(async ({ server, options }) => {
    const client = await connect(address(server.port), await options());
    const channel = await openShell(client, "test");
    const echoed = new Promise<string>((resolve) =>
      channel.once("data", (d: Buffer) => resolve(d.toString()))
    );
    channel.write("ping\n");
    assert.equal(await echoed, "ping\n");
    assert.deepEqual(server.requests, ["shell"]);
    assert.deepEqual(server.logins, ["alice ssh-ed25519"]);
    await end(client);
  });
});

Deno.test("an unknown host with trustAll is persisted to known_hosts", async () => {
  await withServer(async ({ server, knownHosts, options }) => {
    await end(await connect(address(server.port), await options()));
    const text = await Deno.readTextFile(knownHosts);
    assert.equal(text, `[127.0.0.1]:${server.port} ssh-ed25519 ${base64(server.hostKey)}\n`);
    assert.equal((await Deno.stat(knownHosts)).mode! & 0o777, 0o600);
    const found = await run("ssh-keygen", ["-F", `[127.0.0.1]:${server.port}`, "-f", knownHosts]);
    assert.match(found, /found: line 1/);
  });
});

Deno.test("a changed host key is refused with the one-line message", async () => {
  await withServer(async ({ home, server, warnings, knownHosts, options }) => {
    const other = await generateKey(home, "other");
    await Deno.writeTextFile(knownHosts, `[127.0.0.1]:${server.port} ${other.publicLine}\n`);
    await assert.rejects(
      async () => connect(address(server.port), { ...(await options()) }),
      (e: unknown) =>
        e instanceof ConnectError && e.reason === "hostkey" &&
        e.message === `127.0.0.1:${server.port}: host key changed (known_hosts ${knownHosts})`,
    );
    assert.deepEqual(warnings, [
      `host key for 127.0.0.1:${server.port} has CHANGED; refusing to connect ` +
      "(remove the old entry from ~/.ssh/known_hosts if this is expected)",
    ]);
    assert.deepEqual(server.logins, []);
  });
});

Deno.test("time at the trust prompt does not count against the connect timeout", async () => {
  await withServer(async ({ server, knownHosts, options }) => {
    const output: string[] = [];
    const io = {
      readLine: () => new Promise<string>((r) => setTimeout(() => r("y"), 400)),
      write: (text: string) => Promise.resolve(void output.push(text)),
    };
    const trust = new HostTrust({ knownHostsPath: knownHosts, io, quietMs: 10 });
    try {
      const client = await connect(address(server.port), await options({ trust, timeoutMs: 300 }));
      assert.match(output.join(""), /Encountered 1 unknown hosts: '127\.0\.0\.1:\d+'/);
      await end(client);
    } finally {
      trust.close();
    }
  });
});

Deno.test("a wrong client key fails with an authentication message", async () => {
  await withServer(async ({ home, server, options }) => {
    const wrong = await generateKey(home, "wrong");
    const env = (n: string) => ({ HOME: "/nonexistent", DTAIL_AUTH_KEY_PATH: wrong.path })[n];
    const auth = await loadAuth({ env });
    await assert.rejects(
      async () => connect(address(server.port), await options({ auth })),
      (e: unknown) =>
        e instanceof ConnectError && e.reason === "auth" &&
        e.message === `127.0.0.1:${server.port}: authentication failed for user alice ` +
            `(keys offered: ${wrong.path})`,
    );
  });
});

Deno.test("a closed port fails with connection refused", async () => {
  await withServer(async ({ options }) => {
    const port = closedPort();
    await assert.rejects(
      async () => connect(address(port), { ...(await options()) }),
      (e: unknown) =>
        e instanceof ConnectError && e.message === `127.0.0.1:${port}: connection refused`,
    );
  });
});

Deno.test("a server that never answers times out after timeoutMs", async () => {
  await withServer(async ({ options }) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn);
    })();
    try {
      await assert.rejects(
        async () => connect(address(port), { ...(await options()), timeoutMs: 200 }),
        (e: unknown) => e instanceof ConnectError && e.reason === "timeout",
      );
    } finally {
      listener.close();
      await accepting.catch(() => {});
      for (const c of held) c.close();
    }
  });
});

Deno.test("an aborted signal stops the connection attempt", async () => {
  await withServer(async ({ server, options }) => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(
      async () => connect(address(server.port), { ...(await options()), signal: ac.signal }),
      (e: unknown) => e instanceof ConnectError && e.reason === "aborted",
    );
  });
});

Deno.test("host key algorithms prefer known types, then ed25519", () => {
  assert.equal(hostKeyAlgorithms()[0], "ssh-ed25519");
  assert.deepEqual(hostKeyAlgorithms(["ssh-rsa"]).slice(0, 4), [
    "rsa-sha2-512",
    "rsa-sha2-256",
    "ssh-rsa",
    "ssh-ed25519",
  ]);
});

Deno.test({
  name: "ssh-agent keys authenticate when no key file works",
  ignore: agentMissing, // ssh-agent/ssh-add (openssh-client) are not installed
  fn: async () => {
    await withServer(async ({ home, key, server, options }) => {
      await withAgent(home, [key], async (sock) => {
        await Deno.remove(key.path); // only the agent holds the accepted key now
        const env = (n: string) =>
          ({ HOME: home, SSH_AUTH_SOCK: sock } as Record<string, string>)[n];
        const auth = await loadAuth({ env });
        assert.deepEqual(auth.keys.map((k) => k.source), ["agent #0"]);
        const client = await connect(address(server.port), await options({ auth }));
        assert.deepEqual(server.logins, ["alice ssh-ed25519"]);
        await end(client);
      });
    });
  },
});
