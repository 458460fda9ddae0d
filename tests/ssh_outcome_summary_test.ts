/**
 * The per-server outcome summary (docs/usage.md#the-outcome-summary) against a fleet of real
 * dservers on 127.0.0.1: one live, one refused (a closed port), one that does not know our key,
 * one whose host key changed. The summary is on stderr at the end of a run, on SIGUSR1 during a
 * follow, and not with --quiet; the exit status is that of the run without it.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, spawn } from "./helpers.ts";
import { Interactive } from "./interactive_env.ts";
import { accepts } from "./local_port.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { summaryLines } from "./summary_lines.ts";

const sshTest = (name: string, fn: (t: Deno.TestContext) => Promise<void>) =>
  Deno.test({ name, ignore: !canRunServers, fn });

interface Fleet {
  client: TestClient;
  live: TestServer;
  wrongKey: TestServer;
  changed: TestServer;
  refusedPort: number;
  log: string;
}

async function fleet(): Promise<Fleet> {
  const client = await TestClient.create();
  const stranger = await TestClient.create();
  const live = await TestServer.start(client);
  const wrongKey = await TestServer.start(stranger); // knows the stranger's key, not ours
  const changed = await TestServer.start(client);
  // known_hosts holds another ed25519 key for `changed`: its host key changed.
  const other = `${client.home}/otherkey`;
  const gen = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-f", other],
  }).output();
  assert.ok(gen.success);
  const [type, key] = (await Deno.readTextFile(`${other}.pub`)).split(" ");
  await Deno.writeTextFile(
    `${client.home}/.ssh/known_hosts`,
    `[127.0.0.1]:${changed.port} ${type} ${key}\n`,
  );
  const dir = await Deno.makeTempDir({ prefix: "dtail-summary-" });
  await Deno.chmod(dir, 0o755);
  const log = `${dir}/app.log`;
  await Deno.writeTextFile(log, "first line\nsecond line\n");
  await Deno.chmod(log, 0o644);
  return { client, live, wrongKey, changed, refusedPort: await closedPort(), log };
}

async function stop(f: Fleet): Promise<void> {
  await Promise.all([f.live.stop(), f.wrongKey.stop(), f.changed.stop()]);
}

/** A port on 127.0.0.1 that refuses connections. */
async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  assert.equal(await accepts(port), false);
  return port;
}

/** `count` consecutive ports on 127.0.0.1 that refuse connections. */
function closedPorts(count: number): number[] {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = ports.every((port) => {
      try {
        Deno.listen({ hostname: "127.0.0.1", port }).close();
        return true;
      } catch {
        return false;
      }
    });
    if (free) return ports;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

function clientArgs(servers: string[], ...args: string[]): string[] {
  return ["--cfg", "none", "--user", "dtail-alice", "--servers", servers.join(","), ...args];
}

function clientEnv(f: Fleet): Record<string, string> {
  return { HOME: f.client.home, SSH_AUTH_SOCK: "" };
}

const addresses = (f: Fleet) => [
  f.live.address,
  `127.0.0.1:${f.refusedPort}`,
  f.wrongKey.address,
  f.changed.address,
];

/** The summary's cause lines, expected in any order after its first line. */
function expectedCauses(f: Fleet, program: string): string[] {
  const home = f.client.home;
  return [
    `${program}: 1 server: connection refused: 127.0.0.1:${f.refusedPort}`,
    `${program}: 1 server: authentication failed for user dtail-alice ` +
    `(keys offered: ${home}/.ssh/id_ed25519): ${f.wrongKey.address}`,
    `${program}: 1 server: host key changed (known_hosts ${home}/.ssh/known_hosts): ` +
    `${f.changed.address}`,
  ].sort();
}

sshTest("on a mixed fleet, the summary says who did not answer and why", async (t) => {
  const f = await fleet();
  try {
    await t.step(
      "dcat: the live server's lines, and each other server with its cause",
      async () => {
        const r = await run(
          "dcat",
          clientArgs(addresses(f), "--trustAllHosts", f.log),
          { env: clientEnv(f) },
        );
        assertNoStackTrace(r.stderr);
        assert.equal(r.code, 3, r.stderr); // some servers answered, some did not: as before
        assert.match(r.text, /first line/);
        assert.match(r.text, /second line/);
        const summary = summaryLines(r.stderr);
        assert.equal(summary[0], "dcat: 1 of 4 servers answered", r.stderr);
        assert.deepEqual(summary.slice(1).sort(), expectedCauses(f, "dcat"), r.stderr);
        // The summary comes last, after the per-server errors.
        assert.ok(r.stderr.endsWith(`${summary.at(-1)}\n`), r.stderr);
      },
    );
    await t.step("--quiet: no summary, the same exit status and errors", async () => {
      const quiet = await run(
        "dcat",
        clientArgs(addresses(f), "--trustAllHosts", "--quiet", f.log),
        { env: clientEnv(f) },
      );
      assert.equal(quiet.code, 3, quiet.stderr);
      assert.match(quiet.text, /first line/);
      assert.deepEqual(summaryLines(quiet.stderr), [], quiet.stderr);
      assert.match(quiet.stderr, /connection refused/);
    });
    await t.step("every server answered: the summary is one line", async () => {
      const r = await run(
        "dgrep",
        clientArgs([f.live.address], "--trustAllHosts", "--grep", "second", f.log),
        { env: clientEnv(f) },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.text, /second line/);
      assert.deepEqual(summaryLines(r.stderr), ["dgrep: 1 of 1 servers answered"], r.stderr);
    });
    await t.step("a file the server cannot read is the server's cause", async () => {
      const r = await run(
        "dcat",
        clientArgs(
          [f.live.address],
          "--trustAllHosts",
          "--files",
          `${f.log},/nonexistent/summary.log`,
        ),
        { env: clientEnv(f) },
      );
      assert.equal(r.code, 3, r.stderr); // partial, as before
      assert.match(r.text, /first line/);
      assert.deepEqual(summaryLines(r.stderr), [
        "dcat: 0 of 1 servers answered",
        "dcat: 1 server: file unreadable: Unable to read file(s), check server logs: " +
        f.live.address,
      ], r.stderr);
    });
  } finally {
    await stop(f);
  }
});

sshTest("twenty refused ports are one line with their ports as a range", async () => {
  const client = await TestClient.create();
  const ports = closedPorts(20);
  const r = await run("dcat", [
    "--cfg",
    "none",
    "--servers",
    ports.map((p) => `127.0.0.1:${p}`).reverse().join(","),
    "/var/log/none.log",
  ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
  assertNoStackTrace(r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(summaryLines(r.stderr), [
    "dcat: 0 of 20 servers answered",
    `dcat: 20 servers: connection refused: 127.0.0.1:[${ports[0]}-${ports[19]}]`,
  ], r.stderr);
});

sshTest("SIGUSR1 makes a following dtail print the summary so far, and it follows on", async () => {
  const f = await fleet();
  const child = spawn(
    "dtail",
    clientArgs([f.live.address, `127.0.0.1:${f.refusedPort}`], "--trustAllHosts", f.log),
    { env: clientEnv(f) },
  );
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const pumps = Promise.all([
    (async () => {
      for await (const c of child.stdout) stdout += decoder.decode(c, { stream: true });
    })(),
    (async () => {
      for await (const c of child.stderr) stderr += decoder.decode(c, { stream: true });
    })(),
  ]);
  const until = async (what: string, ok: () => boolean, poke?: () => Promise<void>) => {
    const deadline = Date.now() + 20_000;
    while (!ok()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
      await poke?.();
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    let n = 0;
    await until("the follow", () => stdout.includes("ready-"), async () => {
      await Deno.writeTextFile(f.log, `ready-${n++}\n`, { append: true });
    });
    await until("the refused server", () => stderr.includes("connection refused"));
    child.kill("SIGUSR1");
    await until("the summary", () => summaryLines(stderr).length >= 2);
    assert.deepEqual(summaryLines(stderr), [
      "dtail: 1 of 2 servers answered",
      `dtail: 1 server: connection refused: 127.0.0.1:${f.refusedPort}`,
    ], stderr);
    await Deno.writeTextFile(f.log, "after the signal\n", { append: true });
    await until("a line after the signal", () => stdout.includes("after the signal"));
    child.kill("SIGTERM");
    await child.status;
    await pumps;
    assertNoStackTrace(stderr);
    // At the end, the summary once more.
    assert.equal(summaryLines(stderr).filter((l) => l.endsWith("servers answered")).length, 2);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended
    }
    await stop(f);
  }
});

sshTest("in an interactive follow, :show ends with the summary so far", async () => {
  const f = await fleet();
  const refused = `127.0.0.1:${f.refusedPort}`;
  const p = Interactive.start("dtail", [
    ...clientArgs([f.live.address, refused], "--trustAllHosts", "--regex", "line", f.log),
  ], { env: clientEnv(f) });
  try {
    await p.ready();
    await p.waitErr("connection refused");
    const shown = await p.until(":show", /1 of 2 servers answered\n.*connection refused.*\n/);
    assert.match(shown, /\n1 of 2 servers answered\n/, shown);
    assert.match(shown, new RegExp(`\n1 server: connection refused: ${refused}\n`), shown);
    assert.equal(await p.quit(), 0, p.stderr); // :quit ends the run with 0, as before
    assert.deepEqual(summaryLines(p.stderr), [
      "dtail: 1 of 2 servers answered",
      `dtail: 1 server: connection refused: ${refused}`,
    ], p.stderr); // and the summary at the end
  } finally {
    await p.close();
    await stop(f);
  }
});
