import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { AnyAuthMethod, AuthenticationType } from "ssh2";
import {
  type AuthOptions,
  AuthSetupError,
  loadAuth,
  readAuthKeyPub,
  resolveAuthKeyPath,
} from "./auth.ts";
import { agentMissing, generateKey, withAgent, withTempDir } from "./_test_keys.ts";
import { parseKey } from "./ssh2_client.ts";
import { ssh2Agent } from "./agent_keys.ts";

const parse = { parse: (data: Uint8Array) => parseKey(Buffer.from(data)), agent: ssh2Agent };

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("the auth key path follows flag, --key, env, config, then ~/.ssh/id_rsa", () => {
  const all: AuthOptions = {
    authKeyPath: "/flag",
    legacyKeyPath: "/key",
    configAuthKeyPath: "/config",
    warn: () => {},
    env: envOf({
      HOME: "/home/u",
      DTAIL_AUTH_KEY_PATH: "/env",
      DTAIL_SSH_PRIVATE_KEYFILE_PATH: "/legacy-env",
    }),
  };
  assert.equal(resolveAuthKeyPath(all), "/flag");
  assert.equal(resolveAuthKeyPath({ ...all, authKeyPath: "" }), "/key");
  const noFlags = { ...all, authKeyPath: "", legacyKeyPath: "" };
  assert.equal(resolveAuthKeyPath(noFlags), "/env");
  const env = envOf({ HOME: "/home/u", DTAIL_SSH_PRIVATE_KEYFILE_PATH: "/legacy-env" });
  assert.equal(resolveAuthKeyPath({ ...noFlags, env }), "/legacy-env");
  assert.equal(resolveAuthKeyPath({ ...noFlags, env: envOf({ HOME: "/home/u" }) }), "/config");
  assert.equal(resolveAuthKeyPath({ env: envOf({ HOME: "/home/u" }) }), "/home/u/.ssh/id_rsa");
  assert.equal(resolveAuthKeyPath({ env: envOf({}) }), "");
});

Deno.test("--key together with --auth-key-path warns that --key is ignored", () => {
  const warnings: string[] = [];
  const path = resolveAuthKeyPath({
    authKeyPath: "/a",
    legacyKeyPath: "/b",
    env: envOf({}),
    warn: (l) => warnings.push(l),
  });
  assert.equal(path, "/a");
  assert.deepEqual(warnings, ["--key is deprecated and ignored: --auth-key-path is set"]);
});

Deno.test("the auth key comes first, then the default key files, each key once", async () => {
  await withTempDir(async (home) => {
    await Deno.mkdir(`${home}/.ssh`);
    const [auth, ecdsa] = await Promise.all([
      generateKey(home, "auth"),
      generateKey(`${home}/.ssh`, "id_ecdsa", "ecdsa"),
      generateKey(`${home}/.ssh`, "id_ed25519"),
    ]);
    await Deno.copyFile(auth.path, `${home}/.ssh/id_rsa`); // the same key under another name
    const loaded = await loadAuth({ authKeyPath: auth.path, env: envOf({ HOME: home }) });
    assert.equal(loaded.authKeyPath, auth.path);
    assert.deepEqual(loaded.keys.map((k) => k.source), [
      auth.path,
      ecdsa.path,
      `${home}/.ssh/id_ed25519`,
    ]);
  });
});

Deno.test("an encrypted key needs DTAIL_KEY_PASSPHRASE, else it is skipped", async () => {
  await withTempDir(async (home) => {
    const key = await generateKey(home, "enc", "ed25519", "s3cret");
    const notes: string[] = [];
    const opts = { authKeyPath: key.path, debug: (l: string) => notes.push(l) };
    await assert.rejects(() => loadAuth({ ...opts, env: envOf({}) }), AuthSetupError);
    assert.match(notes[0]!, /skipping encrypted key .*enc: DTAIL_KEY_PASSPHRASE is not set/);
    await assert.rejects(
      () => loadAuth({ ...opts, env: envOf({ DTAIL_KEY_PASSPHRASE: "wrong" }) }),
      AuthSetupError,
    );
    const ok = await loadAuth({ ...opts, env: envOf({ DTAIL_KEY_PASSPHRASE: "s3cret" }) });
    assert.equal(ok.keys.length, 1);
    assert.ok(ok.keys[0]!.native !== null || ok.keys[0]!.key!.isPrivateKey());
  });
});

Deno.test("an encrypted key without a usable passphrase is named in the error", async () => {
  await withTempDir(async (home) => {
    await Deno.mkdir(`${home}/.ssh`);
    const key = await generateKey(`${home}/.ssh`, "id_ed25519", "ed25519", "s3cret");
    const rejectsWith = (env: Record<string, string>, message: string) =>
      assert.rejects(
        () => loadAuth({ env: envOf({ HOME: home, ...env }) }),
        (e: unknown) => e instanceof AuthSetupError && e.message === message,
      );
    await rejectsWith(
      {},
      `SSH private key ${key.path} is encrypted and DTAIL_KEY_PASSPHRASE is not set (there is ` +
        "no passphrase prompt); set it, add the key to ssh-agent, or use --auth-key-path with " +
        "an unencrypted key",
    );
    await rejectsWith(
      { DTAIL_KEY_PASSPHRASE: "wrong" },
      `SSH private key ${key.path} is encrypted and DTAIL_KEY_PASSPHRASE does not decrypt it`,
    );
    const other = await generateKey(home, "auth", "ed25519", "other");
    await assert.rejects(
      () => loadAuth({ authKeyPath: other.path, env: envOf({ HOME: home }) }),
      (e: unknown) =>
        e instanceof AuthSetupError &&
        e.message.startsWith(`SSH private keys ${other.path}, ${key.path} are encrypted`),
    );
  });
});

Deno.test("no key and no agent is an AuthSetupError naming what was tried", async () => {
  await withTempDir(async (home) => {
    await assert.rejects(
      () => loadAuth({ env: envOf({ HOME: home }) }),
      (e: unknown) =>
        e instanceof AuthSetupError &&
        e.message ===
          `no SSH private key found (tried ${home}/.ssh/id_rsa, ${home}/.ssh/id_ecdsa, ` +
            `${home}/.ssh/id_ed25519); use --auth-key-path or ssh-agent`,
    );
  });
});

Deno.test("the auth handler offers every method in order, then gives up", async () => {
  await withTempDir(async (home) => {
    await Deno.mkdir(`${home}/.ssh`);
    await generateKey(`${home}/.ssh`, "id_rsa", "rsa");
    await generateKey(`${home}/.ssh`, "id_ed25519");
    const handler = (await loadAuth({ env: envOf({ HOME: home }) })).authHandler("bob", parse);
    const offered: (AnyAuthMethod | AuthenticationType | false)[] = [];
    const next = (m: AnyAuthMethod | AuthenticationType) => offered.push(m);
    handler(null as unknown as AuthenticationType[], false, next);
    handler(["publickey"], false, next);
    handler(["publickey"], false, next);
    const types = offered.map((m) => typeof m === "object" ? `${m.type} ${m.username}` : m);
    assert.deepEqual(types, ["publickey bob", "publickey bob", false]);
  });
});

Deno.test("the auth handler stops when the server no longer allows publickey", async () => {
  await withTempDir(async (home) => {
    const key = await generateKey(home, "k");
    const handler = (await loadAuth({ authKeyPath: key.path, env: envOf({}) })).authHandler(
      "u",
      parse,
    );
    const offered: unknown[] = [];
    handler(["password"], false, (m) => offered.push(m));
    assert.deepEqual(offered, [false]);
  });
});

Deno.test({
  name: "agent keys come after the auth key; --agentKeyIndex picks one of them",
  ignore: agentMissing, // ssh-agent/ssh-add (openssh-client) are not installed
  fn: async () => {
    await withTempDir(async (home) => {
      const [a, b, auth] = await Promise.all([
        generateKey(home, "a"),
        generateKey(home, "b", "ecdsa"),
        generateKey(home, "auth"),
      ]);
      await withAgent(home, [a, b, auth], async (sock) => {
        const env = envOf({ SSH_AUTH_SOCK: sock });
        const all = await loadAuth({ authKeyPath: auth.path, env });
        assert.deepEqual(all.keys.map((k) => k.source), [auth.path, "agent #0", "agent #1"]);
        const one = await loadAuth({ authKeyPath: auth.path, env, agentKeyIndex: 1 });
        assert.deepEqual(one.keys.map((k) => k.source), [auth.path, "agent #1"]);
        assert.equal(one.keys[1]!.native?.type ?? one.keys[1]!.key?.type, "ecdsa-sha2-nistp256");
        const notes: string[] = [];
        const none = await loadAuth({
          authKeyPath: auth.path,
          env,
          agentKeyIndex: 7,
          debug: (l) => notes.push(l),
        });
        assert.deepEqual(none.keys.map((k) => k.source), [auth.path]);
        assert.match(notes.join("\n"), /--agentKeyIndex 7: the agent has 3 keys/);
        const methods: unknown[] = [];
        const handler = all.authHandler("u", parse);
        for (let i = 0; i < 3; i++) handler(["publickey"], false, (m) => methods.push(m));
        assert.deepEqual(
          methods.map((m) => typeof m === "object" && m !== null ? (m as AnyAuthMethod).type : m),
          ["publickey", "agent", false],
        );
      });
    });
  },
});

Deno.test("an unreachable agent socket is skipped like no agent", async () => {
  await withTempDir(async (home) => {
    const key = await generateKey(home, "k");
    const notes: string[] = [];
    const auth = await loadAuth({
      authKeyPath: key.path,
      env: envOf({ SSH_AUTH_SOCK: `${home}/missing.sock` }),
      debug: (l) => notes.push(l),
    });
    assert.deepEqual(auth.keys.map((k) => k.source), [key.path]);
    assert.match(notes.join("\n"), /ssh-agent at/);
  });
});

/**
 * A fake ssh-agent on `path`: it lists `blob` as its one key when `lists`, and never answers
 * anything else (a stale forwarded agent whose far end hangs). Returns its stopper.
 */
function hangingAgent(path: string, blob: Uint8Array | null): () => void {
  const listener = Deno.listen({ transport: "unix", path });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      if (blob === null) continue;
      (async () => {
        const buf = new Uint8Array(1024);
        while ((await conn.read(buf).catch(() => null)) !== null) {
          if (buf[4] !== 11) continue; // only SSH2_AGENTC_REQUEST_IDENTITIES is answered
          const body = [12, 0, 0, 0, 1, ...u32(blob.length), ...blob, ...u32(1), 0x6b];
          await conn.write(new Uint8Array([...u32(body.length), ...body]));
        }
      })();
    }
  })().catch(() => {});
  return () => {
    listener.close();
    for (const c of conns) c.close();
  };
}

const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

Deno.test("an agent that does not answer is given up after the timeout, with one warning", async () => {
  await withTempDir(async (home) => {
    const key = await generateKey(home, "k");
    const stop = hangingAgent(`${home}/agent.sock`, null);
    try {
      const warnings: string[] = [];
      const started = performance.now();
      const auth = await loadAuth({
        authKeyPath: key.path,
        env: envOf({ SSH_AUTH_SOCK: `${home}/agent.sock` }),
        agentTimeoutMs: 300,
        warn: (l) => warnings.push(l),
      });
      assert.ok(performance.now() - started < 3000);
      assert.deepEqual(auth.keys.map((k) => k.source), [key.path]);
      assert.deepEqual(warnings, [
        `ssh-agent at ${home}/agent.sock did not list its keys in 0.3 s: not using it`,
      ]);
    } finally {
      stop();
    }
  });
});

Deno.test("an agent that lists keys but does not sign fails that method after the timeout", async () => {
  await withTempDir(async (home) => {
    const key = await generateKey(home, "k");
    const listed = await generateKey(home, "in-agent");
    const stop = hangingAgent(`${home}/agent.sock`, listed.blob);
    try {
      const auth = await loadAuth({
        authKeyPath: key.path,
        env: envOf({ SSH_AUTH_SOCK: `${home}/agent.sock` }),
        agentTimeoutMs: 300,
      });
      assert.deepEqual(auth.keys.map((k) => k.source), [key.path, "agent #0"]);
      const methods: AnyAuthMethod[] = [];
      const handler = auth.authHandler("u", parse);
      for (let i = 0; i < 2; i++) {
        handler(["publickey"], false, (m) => methods.push(m as AnyAuthMethod));
      }
      const agentMethod = methods[1] as AnyAuthMethod & { agent: AgentLike };
      assert.equal(agentMethod.type, "agent");
      const agentKey = parseKey(listed.publicLine);
      const err = await new Promise<Error | undefined>((resolve) =>
        agentMethod.agent.sign(agentKey, Buffer.from("data"), {}, (e) => resolve(e ?? undefined))
      );
      assert.match(String(err), /did not sign in 0\.3 s/);
    } finally {
      stop();
    }
  });
});

interface AgentLike {
  sign(key: unknown, data: Buffer, options: object, cb: (err?: Error | null) => void): void;
}

Deno.test("readAuthKeyPub takes the base64 field of the first real line of <path>.pub", async () => {
  await withTempDir(async (dir) => {
    const key = await generateKey(dir, "k");
    assert.equal(readAuthKeyPub(key.path), key.publicLine.split(" ")[1]);
    await Deno.writeTextFile(`${dir}/c.pub`, `\n# comment\n  ${key.publicLine} me@host\n`);
    assert.equal(readAuthKeyPub(`${dir}/c`), key.publicLine.split(" ")[1]);
    await Deno.writeTextFile(`${dir}/bad.pub`, "ssh-ed25519 not*base64\n");
    assert.equal(readAuthKeyPub(`${dir}/bad`), null);
    await Deno.writeTextFile(`${dir}/short.pub`, "ssh-ed25519\n");
    assert.equal(readAuthKeyPub(`${dir}/short`), null);
    assert.equal(readAuthKeyPub(`${dir}/missing`), null);
  });
});
