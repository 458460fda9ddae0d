/**
 * A group membership removed from the OS applies after `Server.UserCacheTTLSeconds` (security
 * issue, item 9), against a real dserver. It uses a user and group of its own, created and
 * deleted here, so the shared test users (dtail-alice in dtailgrp, …) keep their groups while
 * other tests run.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const TTL_SECONDS = 1;
/** The lock tools/setup_test_users.sh takes: useradd/groupadd must not race for /etc/passwd. */
const LOCK = "/tmp/.dtail_setup_test_users.lock";

function sh(cmd: string, ...args: string[]): boolean {
  return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
}

function mustSh(cmd: string, ...args: string[]): void {
  if (!sh(cmd, ...args)) throw new Error(`${cmd} ${args.join(" ")} failed`);
}

Deno.test({
  name: "a user removed from a group loses its files after UserCacheTTLSeconds",
  ignore: !canRunServers,
  fn: async () => {
    const user = `dtail-gc${Deno.pid}`;
    const group = `dtail-gcg${Deno.pid}`;
    const dir = await Deno.makeTempDir({ prefix: "dtail-groupcache-" });
    try {
      await Deno.chmod(dir, 0o755);
      mustSh("flock", LOCK, "groupadd", group);
      mustSh(
        "flock",
        LOCK,
        "useradd",
        "--no-create-home",
        "--shell",
        "/bin/sh",
        "--user-group",
        "--groups",
        group,
        user,
      );
      const file = `${dir}/group.log`;
      await Deno.writeTextFile(file, "group line\n");
      mustSh("chown", `root:${group}`, file);
      mustSh("chmod", "0640", file);
      mustSh("setfacl", "-m", "u:dtail-srv:r", file); // the server must open what it serves

      const client = await TestClient.create();
      const server = await TestServer.start(client, {
        users: [user],
        server: { UserCacheTTLSeconds: TTL_SECONDS, Permissions: { Default: [`^${dir}/`] } },
      });
      try {
        const dcat = () =>
          client.run("dcat", [server], ["--plain", "--trustAllHosts", file], { user });
        const member = await dcat();
        assert.equal(member.code, 0, member.stderr);
        assert.equal(member.text, "group line\n");

        mustSh("gpasswd", "-d", user, group);
        await new Promise((r) => setTimeout(r, (TTL_SECONDS + 1) * 1000));
        const removed = await dcat();
        assertNoStackTrace(removed.stderr);
        assert.equal(removed.code, 1, `still readable after the TTL: ${removed.text}`);
        assert.equal(removed.stdout.length, 0);
        assert.match(removed.stderr, /Unable to read file\(s\), check server logs/);
      } finally {
        await server.stop();
      }
    } finally {
      sh("flock", LOCK, "userdel", user);
      sh("flock", LOCK, "groupdel", user); // its --user-group group, when userdel left it
      sh("flock", LOCK, "groupdel", group);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
