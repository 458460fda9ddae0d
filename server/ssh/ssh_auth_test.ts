import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import ssh2 from "ssh2";
import type { AuthContext, ParsedKey } from "ssh2";
import { AuthKeyStore } from "../access/auth_key_store.ts";
import { AuthorizedKeys } from "../access/authorized_keys.ts";
import { authenticate, HEALTH_USER, isHealthLogin } from "./ssh_auth.ts";
import { type ShellSession, startSshServer } from "./ssh_server.ts";
import { connect, genKey, memoryLog, shellOutput } from "./_test_ssh.ts";

Deno.test("only DTAIL-HEALTH with its own name as password is a health login", () => {
  assert.equal(isHealthLogin(HEALTH_USER, "DTAIL-HEALTH"), true);
  assert.equal(isHealthLogin(HEALTH_USER, "dtail-health"), false);
  assert.equal(isHealthLogin(HEALTH_USER, ""), false);
  assert.equal(isHealthLogin("alice", "DTAIL-HEALTH"), false);
});

/** A fake publickey AuthContext signed by `privatePem` (or only a query without a signature). */
function keyContext(user: string, privatePem: string, signed: boolean) {
  const key = ssh2.utils.parseKey(privatePem) as ParsedKey;
  const blob = Buffer.from(`session data for ${user}`);
  const answers: string[] = [];
  const ctx = {
    method: "publickey",
    username: user,
    key: { algo: key.type, data: key.getPublicSSH() },
    ...(signed ? { blob, signature: key.sign(blob), hashAlgo: undefined } : {}),
    accept: () => answers.push("accept"),
    reject: () => answers.push("reject"),
  };
  return { ctx: ctx as unknown as AuthContext, answers };
}

Deno.test("a login says whether authorized_keys or the AUTHKEY store vouched for it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssh_auth_test_" });
  try {
    await Deno.mkdir(`${dir}/cache`);
    const pair = genKey();
    const blob = new Uint8Array(Buffer.from(pair.public.split(" ")[1]!, "base64"));
    await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, pair.public + "\n");
    const store = new AuthKeyStore({ ttlSeconds: 60, maxPerUser: 5 });
    const keys = new AuthorizedKeys({
      cacheDir: "cache",
      cwd: dir,
      store,
      homeOf: () => Promise.resolve(null),
    });
    const query = keyContext("alice", pair.private, false);
    assert.deepEqual(await authenticate(query.ctx, keys), {
      ok: true,
      final: false,
      how: `${dir}/cache/alice.authorized_keys`,
      source: "authorized_keys",
    });
    const signed = keyContext("alice", pair.private, true);
    const outcome = await authenticate(signed.ctx, keys);
    assert.equal(outcome.ok && outcome.final && outcome.source, "authorized_keys");
    assert.deepEqual(signed.answers, ["accept"]);

    store.add("alice", blob);
    await Deno.remove(`${dir}/cache/alice.authorized_keys`);
    const again = await authenticate(keyContext("alice", pair.private, true).ctx, keys);
    assert.equal(again.ok && again.final && again.source, "authkey_store");

    const health = { method: "password", username: HEALTH_USER, password: HEALTH_USER };
    const fake = { ...health, accept: () => {}, reject: () => {} } as unknown as AuthContext;
    const viaPassword = await authenticate(fake, keys);
    assert.equal(viaPassword.ok && viaPassword.source, "password");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the shell session carries how its connection authenticated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssh_auth_test_" });
  const shells: ShellSession[] = [];
  const store = new AuthKeyStore({ ttlSeconds: 60, maxPerUser: 5 });
  const pair = genKey();
  await Deno.mkdir(`${dir}/cache`);
  await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, pair.public + "\n");
  const server = await startSshServer({
    bindAddress: "127.0.0.1",
    port: 0,
    hostKey: genKey().private,
    maxConnections: 10,
    authorizedKeys: new AuthorizedKeys({
      cacheDir: "cache",
      cwd: dir,
      store,
      homeOf: () => Promise.resolve(null),
    }),
    onShell: (s) => {
      shells.push(s);
      s.channel.end("bye\n");
    },
    log: memoryLog().log,
  });
  const login = async () => {
    const c = connect(server.port, { username: "alice", privateKey: pair.private });
    await c.ready;
    assert.equal(await shellOutput(c.client, ""), "bye\n");
    c.client.end();
    await c.closed;
  };
  try {
    const before = Date.now();
    await login();
    assert.equal(shells[0]?.auth.source, "authorized_keys");
    assert.ok(shells[0]!.auth.at >= before && shells[0]!.auth.at <= Date.now());
    store.add("alice", new Uint8Array(Buffer.from(pair.public.split(" ")[1]!, "base64")));
    await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, "");
    await login();
    assert.equal(shells[1]?.auth.source, "authkey_store");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
