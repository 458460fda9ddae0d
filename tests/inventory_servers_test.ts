/**
 * `--servers` as an Ansible inventory, an inventory group and a host pattern, run by the real
 * client against real dservers on loopback.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir, UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const FILE = `${UPSTREAM}/dcat1c.txt`;

Deno.test({
  name: "the client reads its servers from an inventory, a group of it or a host pattern",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const a = await TestServer.start(client);
    const b = await TestServer.start(client);
    const dir = await tempDir();
    const dcat = (servers: string) =>
      run("dcat", [
        "--cfg",
        "none",
        "--user",
        "dtail-alice",
        "--plain",
        "--trustAllHosts",
        "--servers",
        servers,
        FILE,
      ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
    try {
      const lines = (await Deno.readTextFile(FILE)).split("\n").filter((l) => l !== "").length;
      const inventory = `${dir}/hosts.ini`;
      await Deno.writeTextFile(
        inventory,
        [
          "[web]",
          `web-a ansible_host=127.0.0.1 ansible_port=${a.port}`,
          "[db]",
          `db-b ansible_host=127.0.0.1 ansible_port=${b.port}`,
          "db-c ansible_port=",
          "[prod:children]",
          "web",
          "db",
        ].join("\n"),
      );
      const count = (text: string) => text.split("\n").filter((l) => l !== "").length;

      await t.step("the whole inventory reaches both servers", async () => {
        const r = await dcat(inventory);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(count(r.text), 2 * lines);
        assertNoStackTrace(r.stderr);
        // The bad line is one warning naming file and line; its host is left out.
        assert.match(r.stderr, /hosts\.ini:5: "ansible_port=" has no value/);
      });
      await t.step("FILE:group reaches the group's servers only", async () => {
        const r = await dcat(`${inventory}:web`);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(count(r.text), lines);
        const prod = await dcat(`${inventory}:prod`);
        assert.equal(count(prod.text), 2 * lines, prod.stderr);
      });
      await t.step("an unknown group is one line and exit 2", async () => {
        const r = await dcat(`${inventory}:nosuch`);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /no group "nosuch" \(known: all, ungrouped, web, db, prod\)/);
        assertNoStackTrace(r.stderr);
      });
      await t.step("a host pattern in a comma list expands to its servers", async () => {
        const r = await dcat(`127.0.0.[1-1]:${a.port},127.0.0.1:${b.port}`);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(count(r.text), 2 * lines);
      });
      await t.step("a bad range is one line and exit 2", async () => {
        const r = await dcat(`web[9-1]:${a.port}`);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /host pattern "web\[9-1\]:\d+": the range 9\.\.1 runs backwards/);
        assertNoStackTrace(r.stderr);
      });
    } finally {
      await a.stop();
      await b.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
