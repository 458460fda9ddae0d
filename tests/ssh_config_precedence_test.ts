/**
 * Which of flags, ~/.ssh/config and dtail.json wins (docs/usage.md#which-setting-wins), with a
 * real dserver: every case makes the losing setting one that cannot work (a closed port, a user
 * the server does not let in, a key it does not know), so a wrong precedence fails the run.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run } from "./helpers.ts";
import { freePort } from "./local_port.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

Deno.test({
  name: "flags beat the ssh config, which beats dtail.json and the defaults",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await Deno.makeTempDir({ prefix: "dtail-precedence-" });
    await Deno.chmod(dir, 0o755);
    const file = `${dir}/app.log`;
    await Deno.writeTextFile(file, "hello\n");
    await Deno.chmod(file, 0o644);
    const closed = freePort();
    const cfg = `${dir}/dtail.json`;
    await Deno.writeTextFile(cfg, JSON.stringify({ Common: { SSHPort: closed } }));
    const sshConfig = `${client.home}/.ssh/config`;
    const dcat = (args: string[], home = client.home) =>
      run("dcat", ["--cfg", cfg, "--trustAllHosts", "--plain", ...args, file], {
        env: { HOME: home, USER: "nobody", SSH_AUTH_SOCK: "" },
      });
    try {
      await t.step("ssh config Port and User beat dtail.json's port and $USER", async () => {
        await Deno.writeTextFile(
          sshConfig,
          `Host app\n  HostName 127.0.0.1\n  Port ${server.port}\n  User dtail-alice\n`,
        );
        const r = await dcat(["--servers", "app"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, "hello\n");
      });
      await t.step("--port and --user beat the ssh config's Port and User", async () => {
        await Deno.writeTextFile(
          sshConfig,
          `Host app\n  HostName 127.0.0.1\n  Port ${closed}\n  User nobody\n`,
        );
        const r = await dcat([
          "--servers",
          "app",
          "--port",
          String(server.port),
          "--user",
          "dtail-alice",
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, "hello\n");
      });
      await t.step("a port in --servers beats --port and the ssh config", async () => {
        const r = await dcat([
          "--servers",
          `app:${server.port}`,
          "--port",
          String(closed),
          "--user",
          "dtail-alice",
        ]);
        assert.equal(r.code, 0, r.stderr);
      });
      await t.step(
        "without the ssh config, dtail.json's port is used (and is closed)",
        async () => {
          const r = await dcat(["--servers", "127.0.0.1", "--user", "dtail-alice"]);
          assert.equal(r.code, 1, r.stderr);
          assertNoStackTrace(r.stderr);
          assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${closed}: connection refused`));
        },
      );
      await t.step("an IdentityFile outside ~/.ssh is the key the server knows", async () => {
        // A HOME without default keys: only the ssh config's IdentityFile can log in.
        const bare = await Deno.makeTempDir({ prefix: "dtail-bare-home-" });
        await Deno.mkdir(`${bare}/.ssh`, { mode: 0o700 });
        await Deno.writeTextFile(
          `${bare}/.ssh/config`,
          `Host app\n  HostName 127.0.0.1\n  Port ${server.port}\n  User dtail-alice\n` +
            `  IdentityFile ${client.home}/.ssh/id_ed25519\n`,
        );
        try {
          const r = await dcat(["--servers", "app", "--no-auth-key"], bare);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.text, "hello\n");
          const without = await dcat(["--servers", "app", "--ssh-config", "none"], bare);
          assert.equal(without.code, 2, without.stderr);
          assert.match(without.stderr, /no SSH private key found/);
        } finally {
          await Deno.remove(bare, { recursive: true });
        }
      });
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
