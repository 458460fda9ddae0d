/**
 * AUTHKEY never outlives authorization (security issue, item 10), against a real dserver: a key
 * registered by an authorized_keys login keeps working through the in-memory store after it is
 * removed from authorized_keys, but only until its TTL — logins through the store do not refresh
 * it, whatever AUTHKEY they send.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, type RunResult } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const TTL_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "a key removed from authorized_keys stops working once its AUTHKEY TTL has passed",
  ignore: !canRunServers,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "dtail-authkey-" });
    await Deno.chmod(dir, 0o755);
    const file = `${dir}/a.log`;
    await Deno.writeTextFile(file, "authkey line\n");
    await Deno.chmod(file, 0o644);
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      users: ["dtail-alice"],
      server: { AuthKeyTTLSeconds: TTL_SECONDS, Permissions: { Default: [`^${dir}/`] } },
    });
    const keyFile = `${server.dir}/cache/dtail-alice.authorized_keys`;
    const authorized = await Deno.readTextFile(keyFile);
    const dcat = (): Promise<RunResult> =>
      client.run("dcat", [server], [
        "--plain",
        "--trustAllHosts",
        "--auth-key-path",
        `${client.home}/.ssh/id_ed25519`, // its .pub is what AUTHKEY registers
        file,
      ]);
    const logins = (how: string) =>
      server.log().split(`authenticated (public key from ${how})`).length - 1;
    try {
      // 1. An authorized_keys login registers the key (AUTHKEY OK).
      const started = Date.now(); // the registering login happened after this
      const first = await dcat();
      const registeredBy = Date.now(); // the registering login happened before this
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.text, "authkey line\n");
      assert.equal(logins(keyFile), 1, server.log());

      // 2. The key leaves authorized_keys; the store still lets it in, until the TTL.
      await Deno.writeTextFile(keyFile, "");
      const viaStore = await dcat();
      assert.equal(viaStore.code, 0, viaStore.stderr);
      assert.equal(logins("AUTHKEY store"), 1, server.log());
      assert.ok(!viaStore.stderr.includes("AUTHKEY"), viaStore.stderr); // the reply stays hidden

      // 3. Store logins, each sending AUTHKEY, do not keep it alive: one fails after the TTL.
      let refused: RunResult | null = null;
      const giveUp = registeredBy + TTL_SECONDS * 1000 + 4000;
      while (refused === null && Date.now() < giveUp) {
        const runStart = Date.now();
        const r = await dcat();
        assertNoStackTrace(r.stderr);
        if (r.code === 0) {
          assert.ok(runStart < registeredBy + TTL_SECONDS * 1000, "the key lived past its TTL");
          await sleep(300);
        } else {
          refused = r;
          assert.ok(Date.now() >= started + TTL_SECONDS * 1000, "refused before the TTL");
        }
      }
      assert.ok(refused !== null, `the key still works ${TTL_SECONDS}+4 s after its registration`);
      assert.equal(refused.stdout.length, 0);
      assert.match(refused.stderr, /authentication failed for user dtail-alice/);
      assert.match(server.log(), /login as dtail-alice \(publickey\) failed/);

      // 4. Back in authorized_keys: the next login registers it again.
      await Deno.writeTextFile(keyFile, authorized);
      assert.equal((await dcat()).code, 0);
      assert.equal(logins(keyFile), 2, server.log());
      await Deno.writeTextFile(keyFile, "");
      const storeLogins = logins("AUTHKEY store");
      const again = await dcat();
      assert.equal(again.code, 0, again.stderr);
      assert.equal(logins("AUTHKEY store"), storeLogins + 1, server.log());
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
