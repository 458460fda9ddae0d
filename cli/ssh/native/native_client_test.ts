import { concatBytes } from "../../../core/bytes.ts";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import ssh2 from "ssh2";
import type { ParsedKey } from "ssh2";
import { generateEd25519Key } from "../../../server/ssh/host_key.ts";
import { ConnectError } from "../connect_error.ts";
import { hostKeyAlgorithms } from "../host_key_algorithms.ts";
import { parseServerAddress } from "../server_list.ts";
import { HostTrust } from "../trust_prompt.ts";
import { agentMissing, generateKey, withAgent, withTempDir } from "../_test_keys.ts";
import { loadAuth } from "../auth.ts";
import { closedPort, startTestServer } from "../_test_server.ts";
import { NativeClient, type NativeConnectOptions, type NativeKey } from "./native_client.ts";
import { parsePrivateKeyFile } from "./ssh_keys.ts";

const address = (port: number) => parseServerAddress(`127.0.0.1:${port}`, 2222);

async function keyOf(path: string): Promise<NativeKey> {
  const parsed = await parsePrivateKeyFile(await Deno.readFile(path));
  assert.equal(parsed.kind, "key");
  return { source: path, key: (parsed as { key: NativeKey["key"] }).key };
}

function options(keys: NativeKey[], extra: Partial<NativeConnectOptions> = {}) {
  return {
    user: "alice",
    keys,
    hostKeyAlgorithms,
    trust: null,
    timeoutMs: 2000,
    keepaliveMs: 0,
    keepaliveCount: 3,
    ...extra,
  };
}

async function readAll(input: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of input) parts.push(chunk);
  return concatBytes(...parts);
}

/** The bytes a streaming server sends: a counter pattern no shifted copy matches. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >>> 10)) & 0xff;
  return out;
}

/**
 * An ssh2 server whose shell sends `bytes` in 32 KiB writes and ends; with `rekeyAt`, it starts
 * a key re-exchange after that many bytes.
 */
async function streamingServer(allowed: string, bytes: Uint8Array, rekeyAt = -1) {
  const key = ssh2.utils.parseKey(allowed) as ParsedKey;
  let rekeyed = 0;
  const connections = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [generateEd25519Key().private] }, (conn) => {
    connections.add(conn);
    conn.on("close", () => connections.delete(conn)).on("error", () => {});
    conn.on("authentication", (ctx) => {
      if (ctx.method !== "publickey" || !key.getPublicSSH().equals(ctx.key.data)) {
        return ctx.reject(["publickey"]);
      }
      ctx.accept();
    });
    conn.on("rekey", () => rekeyed++);
    conn.on("session", (accept) => {
      accept().on("shell", (accept) => {
        const channel = accept();
        let at = 0;
        const send = (): void => {
          while (at < bytes.length) {
            const piece = bytes.subarray(at, at + 32768);
            if (rekeyAt >= 0 && at < rekeyAt && at + piece.length >= rekeyAt) conn.rekey();
            at += piece.length;
            if (!channel.write(piece)) {
              channel.once("drain", send);
              return;
            }
          }
          channel.end();
          channel.close();
        };
        send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    rekeyed: () => rekeyed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
}

Deno.test("the native client logs in with a key file and echoes through a shell channel", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "id_ed25519");
    const server = await startTestServer([key.publicLine]);
    try {
      const client = await NativeClient.connect(
        address(server.port),
        options([await keyOf(key.path)]),
      );
      const io = await client.shell("test");
      await io.write(new TextEncoder().encode("ping\n"));
      const first = await io.input[Symbol.asyncIterator]().next();
      assert.equal(new TextDecoder().decode(first.value), "ping\n");
      assert.deepEqual(server.requests, ["shell"]);
      assert.deepEqual(server.logins, ["alice ssh-ed25519"]);
      io.close();
    } finally {
      await server.close();
    }
  });
});

Deno.test("8 MiB arrive intact and in order across a key re-exchange the server starts", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "id_ed25519");
    const bytes = pattern(8 << 20);
    const server = await streamingServer(key.publicLine, bytes, 3 << 20);
    try {
      const client = await NativeClient.connect(
        address(server.port),
        options([await keyOf(key.path)]),
      );
      const got = await readAll((await client.shell("test")).input);
      client.end();
      assert.equal(got.length, bytes.length);
      assert.ok(got.every((b, i) => b === bytes[i]), "same bytes in the same order");
      assert.equal(server.rekeyed(), 1, "one re-exchange (ssh2 counts the first as a handshake)");
    } finally {
      await server.close();
    }
  });
});

Deno.test("a key the server does not take is an auth failure that names the keys offered", async () => {
  await withTempDir(async (dir) => {
    const [good, other] = await Promise.all([
      generateKey(dir, "good"),
      generateKey(dir, "other", "ecdsa"),
    ]);
    const server = await startTestServer([good.publicLine]);
    try {
      const err = await NativeClient.connect(
        address(server.port),
        options([await keyOf(other.path)]),
      ).catch((e) => e);
      assert.ok(err instanceof ConnectError);
      assert.equal(err.reason, "auth");
      assert.equal(
        err.message,
        `127.0.0.1:${server.port}: authentication failed for user alice (keys offered: ${other.path})`,
      );
      // The second key is tried after the first is refused.
      const client = await NativeClient.connect(
        address(server.port),
        options([await keyOf(other.path), await keyOf(good.path)]),
      );
      client.end();
      assert.deepEqual(server.logins, ["alice ssh-ed25519"]);
    } finally {
      await server.close();
    }
  });
});

Deno.test("a host key the trust refuses ends the login with the trust's reason", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "id_ed25519");
    const server = await startTestServer([key.publicLine]);
    const knownHosts = `${dir}/known_hosts`;
    // Another key on file for this server: a changed host key.
    const stranger = await generateKey(dir, "stranger");
    await Deno.writeTextFile(knownHosts, `[127.0.0.1]:${server.port} ${stranger.publicLine}\n`);
    const warnings: string[] = [];
    const trust = new HostTrust({ knownHostsPath: knownHosts, warn: (l) => warnings.push(l) });
    try {
      const err = await NativeClient.connect(
        address(server.port),
        options([await keyOf(key.path)], { trust }),
      ).catch((e) => e);
      assert.ok(err instanceof ConnectError, String(err));
      assert.equal(err.reason, "hostkey");
      assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${server.port}: `));
      assert.deepEqual(server.logins, [], "no login to a server that is not trusted");
      assert.ok(warnings.length > 0, "the changed key is reported");
    } finally {
      trust.close();
      await server.close();
    }
  });
});

Deno.test("a refused port and a server that speaks no SSH fail with their own reasons", async () => {
  await withTempDir(async (dir) => {
    const key = await keyOf((await generateKey(dir, "id_ed25519")).path);
    const refused = await NativeClient.connect(address(closedPort()), options([key])).catch((
      e,
    ) => e);
    assert.equal(refused.reason, "refused");
    const web = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      for await (const conn of web) {
        await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
        setTimeout(() => conn.close(), 1000);
      }
    })();
    try {
      const port = (web.addr as Deno.NetAddr).port;
      const err = await NativeClient.connect(address(port), options([key], { timeoutMs: 300 }))
        .catch((e) => e);
      assert.equal(err.reason, "handshake");
      assert.equal(
        err.message,
        `127.0.0.1:${port}: not an SSH server: it sent "HTTP/1.1 400 Bad Request"`,
      );
    } finally {
      web.close();
      await serving.catch(() => {});
    }
  });
});

Deno.test("a byte changed on the way after the key exchange fails the MAC check", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "id_ed25519");
    const bytes = pattern(1 << 20);
    const server = await streamingServer(key.publicLine, bytes);
    // A relay that flips one bit of what the server sends, 200 KB in (long after NEWKEYS).
    const relay = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const relaying = (async () => {
      for await (const client of relay) {
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        void client.readable.pipeTo(upstream.writable).catch(() => {});
        let seen = 0;
        const flip = new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, out) {
            const at = 200_000 - seen;
            if (at >= 0 && at < chunk.length) chunk[at]! ^= 0x10;
            seen += chunk.length;
            out.enqueue(chunk);
          },
        });
        void upstream.readable.pipeThrough(flip).pipeTo(client.writable).catch(() => {});
      }
    })();
    const debug: string[] = [];
    try {
      const client = await NativeClient.connect(
        address((relay.addr as Deno.NetAddr).port),
        options([await keyOf(key.path)], { debug: (l) => debug.push(l) }),
      );
      const got = await readAll((await client.shell("test")).input);
      client.end();
      assert.ok(got.length < bytes.length, "the stream ends at the damaged packet");
      assert.ok(got.every((b, i) => b === bytes[i]), "what came before it is intact");
      assert.ok(
        debug.some((l) => l.includes("failed its MAC check")),
        `the reason is logged: ${debug.join(" / ")}`,
      );
    } finally {
      relay.close();
      await relaying.catch(() => {});
      await server.close();
    }
  });
});

Deno.test({
  name: "keys in an ssh-agent log in through the agent, an RSA key with rsa-sha2-512",
  ignore: agentMissing, // ssh-agent/ssh-add (openssh-client) are not installed
  fn: async () => {
    await withTempDir(async (home) => {
      const [rsa, stranger] = await Promise.all([
        generateKey(home, "rsa", "rsa"),
        generateKey(home, "stranger", "ecdsa"),
      ]);
      const server = await startTestServer([rsa.publicLine]);
      try {
        await withAgent(home, [stranger, rsa], async (sock) => {
          const env = (n: string) => ({ SSH_AUTH_SOCK: sock } as Record<string, string>)[n];
          const auth = await loadAuth({ authKeyPath: `${home}/none`, env });
          assert.deepEqual(auth.keys.map((k) => k.source), ["agent #0", "agent #1"]);
          const keys = auth.keys.map((k) => ({ source: k.source, key: k.native! }));
          const client = await NativeClient.connect(address(server.port), options(keys));
          client.end();
          assert.deepEqual(server.logins, ["alice ssh-rsa"]);
        });
      } finally {
        await server.close();
      }
    });
  },
});
