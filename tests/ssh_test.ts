/**
 * The real distributed path: dserver processes on 127.0.0.1 running as an unprivileged user,
 * real keys and known_hosts, clients over SSH. The golden cases must come out exactly as in
 * serverless mode (golden_test.ts).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, bytesEqual, run, UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, assertExactlyOnceInOrder, Follower, numbered } from "./follower.ts";

const read = (name: string) => Deno.readFileSync(`${UPSTREAM}/${name}`);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test({
  name: "over SSH, the golden cases come out as in serverless mode",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      env: { DTAIL_HOSTNAME_OVERRIDE: "integrationtest" },
    });
    try {
      const first = await client.run("dcat", [server], ["--plain", `${UPSTREAM}/dcat1c.txt`]);
      assert.equal(first.code, 1, "an unknown host is refused without a terminal to ask");
      assert.match(first.stderr, /unknown host key|--trustAllHosts/);
      const trusted = await client.run("dcat", [server], [
        "--plain",
        "--trustAllHosts",
        `${UPSTREAM}/dcat1c.txt`,
      ]);
      assert.equal(trusted.code, 0, trusted.stderr);
      assert.ok(bytesEqual(trusted.stdout, read("dcat1c.txt")));

      for (const name of ["dcat1a.txt", "dcat1b.txt"]) {
        await t.step(`dcat --plain reproduces ${name}`, async () => {
          const r = await client.run("dcat", [server], ["--plain", `${UPSTREAM}/${name}`]);
          assert.equal(r.code, 0, r.stderr);
          assert.ok(bytesEqual(r.stdout, read(name)));
        });
      }
      await t.step("the same file 20 times comes back 20 times, in order", async () => {
        const files = Array(20).fill(`${UPSTREAM}/dcat2.txt`).join(",");
        const r = await client.run("dcat", [server], ["--plain", "--files", files]);
        assert.equal(r.text, text(read("dcat2.txt")).repeat(20));
      });
      const grepCases: [string[], string][] = [
        [["--grep", "1002-071947"], "dgrep1.txt.expected"],
        [["--grep", "1002-07194[789]"], "dgrep2.txt.expected"],
        [["--grep", "1002-071947", "--before", "2", "--after", "3"], "dgrepcontext1.txt.expected"],
        [
          ["--grep", "1002-071947", "--invert", "--before", "2", "--after", "3"],
          "dgrepcontext2.txt.expected",
        ],
      ];
      for (const [args, expected] of grepCases) {
        await t.step(`dgrep ${args.join(" ")} matches ${expected}`, async () => {
          const r = await client.run("dgrep", [server], [
            "--plain",
            ...args,
            `${UPSTREAM}/mapr_testdata.log`,
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.text, text(read(expected)));
        });
      }
      await t.step("labelled output is the Go server-mode rendering", async () => {
        const r = await client.run("dcat", [server], ["--noColor", `${UPSTREAM}/dcatcolors.txt`]);
        assert.ok(bytesEqual(r.stdout, read("dcatcolors.server.expected")));
      });
      await t.step("colored output is the serverless colored rendering", async () => {
        const r = await client.run("dcat", [server], [`${UPSTREAM}/dcatcolors.txt`]);
        assert.ok(bytesEqual(r.stdout, read("dcatcolors.expected")));
      });
      await t.step("dtailhealth finds the server healthy", async () => {
        const r = await run("dtailhealth", ["--server", server.address]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.text, `OK: All fine at ${server.address} :-)\n`);
      });
      await t.step("two servers: every line of both, labelled by file", async () => {
        const second = await TestServer.start(client);
        try {
          const r = await client.run("dcat", [server, second], [
            "--plain",
            "--trustAllHosts",
            `${UPSTREAM}/dcat1c.txt`,
          ]);
          assert.equal(r.code, 0, r.stderr);
          const split = (s: string) => s.split("\n").filter((l) => l !== "");
          const lines = split(r.text).sort();
          const want = split(text(read("dcat1c.txt")));
          assert.deepEqual(lines, [...want, ...want].sort());
        } finally {
          await second.stop();
        }
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});

Deno.test({
  name: "over SSH, a changed host key and a wrong client key are refused with one line",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const stranger = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      const wrongKey = await stranger.run("dcat", [server], [
        "--trustAllHosts",
        `${UPSTREAM}/dcat1c.txt`,
      ]);
      assert.equal(wrongKey.code, 1);
      assertNoStackTrace(wrongKey.stderr);
      assert.match(wrongKey.stderr, /authentication failed for user dtail-alice/);

      // A known_hosts entry for this address with another key: a changed host key.
      const other = await new Deno.Command("ssh-keygen", {
        args: ["-q", "-t", "ed25519", "-N", "", "-f", `${client.home}/otherkey`],
      }).output();
      assert.ok(other.success);
      const pub = (await Deno.readTextFile(`${client.home}/otherkey.pub`)).split(" ");
      await Deno.writeTextFile(
        `${client.home}/.ssh/known_hosts`,
        `[127.0.0.1]:${server.port} ${pub[0]} ${pub[1]}\n`,
      );
      const changed = await client.run("dcat", [server], [
        "--trustAllHosts",
        `${UPSTREAM}/dcat1c.txt`,
      ]);
      assert.equal(changed.code, 1);
      assert.match(changed.stderr, /CHANGED/);
      assert.equal(changed.stdout.length, 0);
    } finally {
      await server.stop();
    }
  },
});

/** A server, a world-readable log with `initial` content on it, and dtail following it over SSH. */
async function followOverSsh(initial: string) {
  const client = await TestClient.create();
  const server = await TestServer.start(client);
  const dir = await Deno.makeTempDir({ prefix: "dtail-follow-ssh-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, initial);
  await Deno.chmod(path, 0o644);
  const f = new Follower(
    ["--user", "dtail-alice", "--servers", server.address, "--trustAllHosts", path],
    { HOME: client.home, SSH_AUTH_SOCK: "" },
  );
  return { server, path, f };
}

Deno.test({
  name: "over SSH, dtail delivers every appended line exactly once, across a rotation",
  ignore: !canRunServers,
  fn: async () => {
    const { server, path, f } = await followOverSsh("existing\n");
    try {
      await f.ready(path);
      const before = numbered("before", 0, 2000);
      await append(path, before);
      await Deno.rename(path, `${path}.1`);
      const after = numbered("after", 0, 2000);
      await append(path, after);
      await Deno.chmod(path, 0o644);
      await f.waitFor((l) => l.includes("after 1999"), "the last line", 20_000);
      assertExactlyOnceInOrder(f.payload(), before);
      assertExactlyOnceInOrder(f.payload(), after);
    } finally {
      assert.equal(await f.stop(), 0);
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, dtail reconnects after its server restarts and goes on following",
  ignore: !canRunServers,
  fn: async () => {
    const { server, path, f } = await followOverSsh("");
    try {
      await f.ready(path);
      await append(path, ["before restart"]);
      await f.waitFor((l) => l.includes("before restart"), "the first line");
      await server.stop();
      await server.restart();
      // The client waits about 2 s (jittered) before it tries again.
      await f.waitFor(
        (l) => l.length > 0 && f.stderr.includes("reconnecting"),
        "the reconnect notice",
      );
      const deadline = Date.now() + 15_000;
      let n = 0;
      while (!f.lines.some((l) => l.startsWith("after restart")) && Date.now() < deadline) {
        await append(path, [`after restart ${n++}`]);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(f.lines.some((l) => l.startsWith("after restart")), f.stderr);
    } finally {
      assert.equal(await f.stop(), 0);
      await server.stop();
    }
  },
});

Deno.test({
  name: "over SSH, server lists, discovery, ssh-agent keys and a queue of concurrent cats work",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxConcurrentCats: 1 } });
    const file = `${UPSTREAM}/dcat1c.txt`;
    const want = text(read("dcat1c.txt"));
    try {
      const first = await client.run("dcat", [server], ["--plain", "--trustAllHosts", file]);
      assert.equal(first.code, 0, first.stderr);
      await t.step("a servers file and --discovery FILE: both read the list", async () => {
        const list = `${client.home}/servers.txt`;
        await Deno.writeTextFile(list, `# our test server\n\n${server.address}\n`);
        const byFile = await run("dcat", [
          "--cfg",
          "none",
          "--plain",
          "--user",
          "dtail-alice",
          "--servers",
          list,
          file,
        ], {
          env: { HOME: client.home, SSH_AUTH_SOCK: "" },
        });
        assert.equal(byFile.text, want, byFile.stderr);
        const byDiscovery = await run("dcat", [
          "--cfg",
          "none",
          "--plain",
          "--user",
          "dtail-alice",
          "--discovery",
          `FILE:${list}`,
          file,
        ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
        assert.equal(byDiscovery.text, want, byDiscovery.stderr);
      });
      await t.step("a key held only by ssh-agent logs in", async () => {
        const sock = `${client.home}/agent.sock`;
        const agent = new Deno.Command("ssh-agent", {
          args: ["-D", "-a", sock],
          stdout: "null",
          stderr: "null",
        })
          .spawn();
        try {
          for (let i = 0; i < 100 && !(await exists(sock)); i++) {
            await new Promise((r) => setTimeout(r, 20));
          }
          const add = await new Deno.Command("ssh-add", {
            args: [`${client.home}/.ssh/id_ed25519`],
            env: { SSH_AUTH_SOCK: sock },
            stderr: "null",
          }).output();
          assert.ok(add.success);
          // Move the key file away: only the agent can sign now.
          await Deno.rename(`${client.home}/.ssh/id_ed25519`, `${client.home}/moved_key`);
          const r = await run("dcat", [
            "--cfg",
            "none",
            "--plain",
            "--user",
            "dtail-alice",
            "--servers",
            server.address,
            file,
          ], {
            env: { HOME: client.home, SSH_AUTH_SOCK: sock },
          });
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.text, want);
        } finally {
          await Deno.rename(`${client.home}/moved_key`, `${client.home}/.ssh/id_ed25519`).catch(
            () => {},
          );
          agent.kill("SIGTERM");
          await agent.status;
        }
      });
      await t.step(
        "with MaxConcurrentCats 1, concurrent clients queue and all finish",
        async () => {
          const runs = await Promise.all(
            Array.from(
              { length: 4 },
              () => client.run("dcat", [server], ["--plain", "--files", `${file},${file}`]),
            ),
          );
          for (const r of runs) {
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.text, want + want);
          }
        },
      );
    } finally {
      await server.stop();
    }
  },
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
