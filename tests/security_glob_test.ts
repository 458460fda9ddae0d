/**
 * Glob expansion is bounded and never looks where the user could not (issue 9, item 4):
 * `/*\/*\/*\/*\/*\/*\/*\/*\/zz` freezes neither dserver nor serverless mode, and a glob over a
 * directory the SSH user cannot list reveals nothing about what is in it.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run } from "./helpers.ts";
import { assertServerAnswers, probeFile, within } from "./liveness.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const EXPLOSION = "/*/*/*/*/*/*/*/*/zz";

Deno.test({
  name: "a glob explosion over SSH ends at MaxGlobDirs while the server keeps answering",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxGlobDirs: 20_000 } });
    const probe = await probeFile();
    try {
      await assertServerAnswers(server, client, probe);
      const attacks = [0, 1].map(() =>
        client.run("dcat", [server], ["--trustAllHosts", "--plain", EXPLOSION])
      );
      await new Promise((r) => setTimeout(r, 300));
      await assertServerAnswers(server, client, probe);
      for (const r of await within(30_000, "the glob explosions", Promise.all(attacks))) {
        assert.notEqual(r.code, 0);
        assertNoStackTrace(r.stderr);
      }
      assert.match(server.log(), /glob stopped after listing 20000 directories|no file matches/);
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name: "a glob over a directory the user cannot list reveals neither names nor a count",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      users: ["dtail-alice", "dtail-carol"],
      server: { MaxGlobTargets: 2 },
    });
    const dir = await Deno.makeTempDir({ prefix: "dtail-glob-private-" });
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/private`, { mode: 0o750 });
    await Deno.chmod(`${dir}/private`, 0o750);
    for (let i = 0; i < 5; i++) {
      await Deno.writeTextFile(`${dir}/private/f${i}.log`, `secret ${i}\n`);
      await Deno.chmod(`${dir}/private/f${i}.log`, 0o644);
    }
    // dtail-srv (and dtail-alice via dtailgrp) may list it; dtail-carol may not.
    const chown = await new Deno.Command("chown", {
      args: ["dtail-srv:dtailgrp", `${dir}/private`],
    })
      .output();
    assert.ok(chown.success);
    try {
      const carol = await client.run(
        "dcat",
        [server],
        ["--trustAllHosts", "--plain", `${dir}/private/*.log`],
        { user: "dtail-carol" },
      );
      assert.notEqual(carol.code, 0);
      assert.doesNotMatch(carol.text + carol.stderr, /secret|files match|\b5\b/);
      const alice = await client.run("dcat", [server], ["--plain", `${dir}/private/*.log`]);
      assert.equal(alice.text, "secret 0\nsecret 1\n");
      assert.match(alice.stderr, /more than 2 files match, reading the first 2/);
      assert.doesNotMatch(alice.stderr, /\b5\b/);
      assert.equal(alice.code, 3, "read in part: a partial run");
      // The same bound serverless: the same lines, the same notice, the same status.
      const config = `${dir}/dtail.json`;
      await Deno.writeTextFile(config, JSON.stringify({ Server: { MaxGlobTargets: 2 } }));
      const local = await run("dcat", ["--cfg", config, "--plain", `${dir}/private/*.log`]);
      assert.equal(local.text, alice.text);
      assert.equal(
        local.stderr,
        `dcat: ${dir}/private/*.log: more than 2 files match, reading the first 2\n`,
      );
      assert.equal(local.code, 3);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a grep over a glob of many files, each shorter than a turn, leaves the server answering",
  ignore: !canRunServers,
  fn: async () => {
    // Found by `make fuzz` (/usr/lib/git-core: 130 hard links of one 3.7 MB binary): each file
    // took less than the pipeline's turn, so the session never yielded between files.
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const probe = await probeFile();
    const dir = await Deno.makeTempDir({ prefix: "dtail-glob-many-" });
    await Deno.chmod(dir, 0o755);
    // 400 names of one 1 MB file of binary bytes (long lines, split at MaxLineLength).
    const bytes = new Uint8Array(1_000_000);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    await Deno.writeFile(`${dir}/f0.log`, bytes);
    await Deno.chmod(`${dir}/f0.log`, 0o644);
    for (let i = 1; i < 400; i++) await Deno.link(`${dir}/f0.log`, `${dir}/f${i}.log`);
    try {
      const grep = client.run("dgrep", [server], [
        "--trustAllHosts",
        "--plain",
        "--regex",
        "MAPREDUCE:NEEDLE",
        `${dir}/*.log`,
      ]);
      await new Promise((r) => setTimeout(r, 500));
      await assertServerAnswers(server, client, probe);
      const done = await within(120_000, "the grep", grep);
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.text, "");
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("serverless: a glob explosion ends at MaxGlobDirs with one line and a failure", async () => {
  const home = await Deno.makeTempDir();
  await Deno.writeTextFile(`${home}/cfg.json`, JSON.stringify({ Server: { MaxGlobDirs: 5000 } }));
  const r = await within(
    60_000,
    "serverless dcat of a glob explosion",
    run("dcat", ["--cfg", `${home}/cfg.json`, "--plain", EXPLOSION]),
  );
  assert.equal(r.code, 1);
  assert.equal(r.text, "");
  assert.match(r.stderr, /glob stopped after listing 5000 directories/);
  assertNoStackTrace(r.stderr);
});
