/**
 * The path is resolved as the kernel resolves it for the SSH user (issue 9, item 9): a symlink
 * inside a directory the user may not search is refused to that user, even when the file it
 * points to is world-readable, and served to a user who may search that directory.
 */
import assert from "node:assert/strict";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

function kernelCanRead(user: string, path: string): boolean {
  return new Deno.Command("runuser", { args: ["-u", user, "--", "/usr/bin/test", "-r", path] })
    .outputSync().success;
}

Deno.test({
  name: "a symlink in a directory the SSH user cannot search is refused, as the kernel refuses it",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { users: ["dtail-alice", "dtail-carol"] });
    const dir = await Deno.makeTempDir({ prefix: "dtail-paths-" });
    try {
      await Deno.chmod(dir, 0o755);
      await Deno.writeTextFile(`${dir}/public.log`, "public line\n");
      await Deno.chmod(`${dir}/public.log`, 0o644);
      await Deno.mkdir(`${dir}/team`);
      await Deno.chmod(`${dir}/team`, 0o750); // dtail-srv and dtailgrp (dtail-alice) may search
      const own = await new Deno.Command("chown", { args: ["dtail-srv:dtailgrp", `${dir}/team`] })
        .output();
      assert.ok(own.success);
      await Deno.symlink(`${dir}/public.log`, `${dir}/team/link.log`);
      await Deno.symlink("team/link.log", `${dir}/chain.log`);
      for (const path of [`${dir}/team/link.log`, `${dir}/chain.log`]) {
        assert.equal(kernelCanRead("dtail-carol", path), false);
        assert.equal(kernelCanRead("dtail-alice", path), true);
        const carol = await client.run("dcat", [server], ["--trustAllHosts", "--plain", path], {
          user: "dtail-carol",
        });
        assert.notEqual(carol.code, 0, path);
        assert.equal(carol.text, "");
        assert.match(carol.stderr, /Unable to read file/);
        const alice = await client.run("dcat", [server], ["--plain", path]);
        assert.equal(alice.code, 0, alice.stderr);
        assert.equal(alice.text, "public line\n");
      }
      assert.match(server.log(), /user dtail-carol: no search permission on directory/);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
