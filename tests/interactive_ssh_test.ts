/**
 * --interactive-query over SSH against real dservers (docs/usage.md#interactive-query-reload,
 * docs/protocol.md#session), driven through a real pseudo-terminal: SESSION START and UPDATE on
 * every connection, `:show` with each server's state, reloads of the regex, context, files and
 * query, no output of the old job after the reply, a rollback when a server refuses, and the
 * fallback to the commands for a server without `query-update-v1`.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, UPSTREAM } from "./helpers.ts";
import { Interactive, sessionServer, spoilUpdates } from "./interactive_env.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append } from "./follower.ts";

const PERMISSIONS = { Permissions: { Default: ["readfiles:^/.*$"] } };

async function logs(): Promise<{ a: string; b: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-interactive-" });
  await Deno.chmod(dir, 0o755);
  const a = `${dir}/a.log`;
  const b = `${dir}/b.log`;
  await Deno.writeTextFile(a, "ERROR one\nWARN two\nINFO three\nERROR four\n");
  await Deno.writeTextFile(b, "ERROR b1\nWARN b2\n");
  for (const f of [a, b]) await Deno.chmod(f, 0o644);
  return { a, b };
}

/** The program against `servers` as dtail-alice, with the test client's HOME. */
function start(
  client: TestClient,
  program: string,
  servers: readonly { address: string }[],
  args: string[],
): Interactive {
  return Interactive.start(program, [
    "--cfg",
    "none",
    "--user",
    "dtail-alice",
    "--trustAllHosts",
    "--servers",
    servers.map((s) => s.address).join(","),
    ...args,
  ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
}

const count = (text: string, part: string) => text.split(part).length - 1;

function sshTest(name: string, fn: (client: TestClient) => Promise<void>): void {
  Deno.test({
    name,
    ignore: !canRunServers,
    fn: async () => fn(await TestClient.create()),
  });
}

sshTest("dgrep on two dservers: :show, reloads of regex, context and files, :quit", async (c) => {
  const { a, b } = await logs();
  const servers = [
    await TestServer.start(c, { server: PERMISSIONS }),
    await TestServer.start(c, { server: PERMISSIONS }),
  ];
  const p = start(c, "dgrep", servers, ["--plain", "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    await p.waitOut(/(?:ERROR (?:one|four)\n){4}/);
    const show = await p.say(":show", new RegExp(`${servers[1]!.address}: [^\\n]*\\n`));
    assert.match(
      show,
      new RegExp(
        `mode=grep files=${a} query="" regex="ERROR" options="plain=true:quiet=true" ` +
          `timeout=0 capable=2/2\ngeneration=1\n`,
      ),
    );
    for (const s of servers) {
      assert.match(show, new RegExp(`${s.address}: capable generation=1 last-ack="start ok 1"`));
    }
    let at = p.stdout.length;
    await p.say(":reload --regex WARN --after 1", "reload applied successfully");
    await p.waitOut(/(?:(?:WARN two|INFO three)\n){4}/, at);
    at = p.stdout.length;
    await p.say(`:reload --files ${b} --after 0 --invert`, "reload applied successfully");
    await p.waitOut(/(?:ERROR b1\n){2}/, at);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(count(p.stdout.slice(at), "WARN"), 0, p.stdout.slice(at));
    const shown = await p.say(":show", new RegExp(`${servers[1]!.address}: [^\\n]*\\n`));
    assert.match(shown, /regex="WARN" options="plain=true:quiet=true" timeout=0 capable=2\/2/);
    assert.match(shown, /generation=3\n/);
    assert.equal(count(shown, 'last-ack="update ok 3"'), 2);
    assert.equal(await p.quit(), 0);
    assertNoStackTrace(p.stderr);
  } finally {
    await p.close();
    for (const s of servers) await s.stop();
  }
});

sshTest("dtail on a dserver: nothing of the old job is printed after the reply", async (c) => {
  const { a } = await logs();
  const server = await TestServer.start(c, { server: PERMISSIONS });
  const p = start(c, "dtail", [server], ["--plain", "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    await p.until(":show", /last-ack="start ok 1"/);
    await p.appendUntil(a, (n) => [`ERROR old-${n}`, `WARN old-${n}`], /ERROR old-\d+\n/, 0);
    // A regex after a plain string: the client checks it with the regex engine, loaded for it.
    await p.say(":reload --regex 'W[A]RN'", "reload applied successfully");
    const at = p.stdout.length;
    await p.appendUntil(a, (n) => [`ERROR new-${n}`, `WARN new-${n}`], /WARN new-\d+\n/, at);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(p.stdout.slice(at), /^(?:WARN new-\d+\n)+$/);
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
    await server.stop();
  }
});

sshTest("dmap and dtail --query on dservers: a reload replaces the query", async (c) => {
  const { a } = await logs();
  const servers = [
    await TestServer.start(c, { server: PERMISSIONS }),
    await TestServer.start(c, { server: PERMISSIONS }),
  ];
  const q1 = "from STATS select count($line) group by $hostname interval 1";
  const q2 = "from STATS select max(lifetimeConnections) group by $hostname interval 1";
  const dmap = start(c, "dmap", servers, [
    "--plain",
    "--query",
    q1,
    `${UPSTREAM}/mapr_testdata.log`,
  ]);
  try {
    await dmap.ready();
    await dmap.waitOut(/count\(\$line\)\s*\n-+\s*\n\s*1194\s/, 0, 15_000); // 597 per server
    await dmap.say(`:reload --query '${q2}'`, "reload applied successfully");
    const at = dmap.stdout.length;
    await dmap.waitOut(/max\(lifetimeConnections\)\s*\n-+\s*\n\s*6\.000000/, at, 15_000);
    assert.ok(!dmap.stdout.slice(at).includes("count($line)"), dmap.stdout.slice(at));
    assert.match(await dmap.say(":show", /generation=2\n/), /mode=map .*capable=2\/2/);
    assert.equal(await dmap.quit(), 0);
  } finally {
    await dmap.close();
  }
  const dtail = start(c, "dtail", servers.slice(0, 1), ["--plain", "--query", q1, "--files", a]);
  try {
    await dtail.ready();
    await dtail.until(":show", /last-ack="start ok 1"/);
    const stats = (n: number) =>
      Array(n).fill(
        "INFO|1002-071947|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|lifetimeConnections=3",
      );
    await dtail.appendUntil(a, () => stats(3), /count\(\$line\)\s*\n-+\s*\n\s*\d+\s/, 0);
    await dtail.say(`:reload --query '${q2}'`, "reload applied successfully");
    const at = dtail.stdout.length;
    const max = /max\(lifetimeConnections\)\s*\n-+\s*\n\s*3\.000000/;
    await dtail.appendUntil(a, () => stats(2), max, at);
    assert.ok(!dtail.stdout.slice(at).includes("count($line)"), dtail.stdout.slice(at));
    assert.equal(await dtail.quit(), 0);
  } finally {
    await dtail.close();
    for (const s of servers) await s.stop();
  }
});

sshTest("a reload one server refuses and one does not answer is rolled back", async (c) => {
  const { a } = await logs();
  const good = await TestServer.start(c, { server: PERMISSIONS });
  const refusing = await sessionServer(c, { rewrite: spoilUpdates });
  const silent = await sessionServer(c, {
    rewrite: (command) => (command.startsWith("SESSION UPDATE ") ? null : command),
  });
  const p = start(c, "dtail", [good, refusing, silent], [
    "--plain",
    "--regex",
    "ERROR",
    "--files",
    a,
  ]);
  try {
    await p.ready();
    await p.until(":show", /capable=3\/3\n/);
    const reply = await p.say(":reload --regex WARN", /reload failed: [^\n]*\n/, 15_000);
    const line = reply.split("\n").find((l) => l.startsWith("reload failed: "))!;
    assert.equal(
      line,
      `reload failed: ${refusing.address}: session request rejected: invalid session payload; ` +
        `${silent.address}: timed out waiting for session acknowledgement; ` +
        `${silent.address}: rollback session spec: timed out waiting for session acknowledgement`,
    );
    const show = await p.say(":show", new RegExp(`${silent.address}: [^\\n]*\\n`));
    assert.match(show, /regex="ERROR"/);
    assert.match(show, new RegExp(`${good.address}: capable generation=3 last-ack="update ok 3"`));
    assert.match(show, new RegExp(`${refusing.address}: capable generation=1 last-ack="err `));
    // The old job still runs everywhere.
    const at = p.stdout.length;
    await append(a, ["ERROR after-1", "WARN after-2"]);
    await p.waitOut(/(?:ERROR after-1\n){3}/, at);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(count(p.stdout.slice(at), "WARN"), 0); // the follows were running all along
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
    await good.stop();
    await refusing.close();
    await silent.close();
  }
});

sshTest("a server without query-update-v1 gets the commands and refuses reloads", async (c) => {
  const { a, b } = await logs();
  const legacy = await sessionServer(c, { capabilities: ["escape-ac-v1", "plain-blocks-v1"] });
  const ours = await TestServer.start(c, { server: PERMISSIONS });
  const p = start(c, "dgrep", [ours, legacy], ["--plain", "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    await p.waitErr(
      `${legacy.address}: Interactive session bootstrap unsupported, falling back to legacy commands`,
    );
    await p.waitOut(/(?:ERROR (?:one|four)\n){4}/);
    const show = await p.say(":show", new RegExp(`${legacy.address}: [^\\n]*\\n`));
    assert.match(show, /capable=1\/2\n/);
    // It is done with the commands (their session ended), and stays unable to reload.
    assert.match(show, new RegExp(`${legacy.address}: not capable .*\\(disconnected\\)`));
    assert.match(
      await p.say(`:reload --files ${b}`, /reload failed: [^\n]*\n/),
      new RegExp(
        `\nreload failed: runtime query updates unsupported by server: ${legacy.address}\n`,
      ),
    );
    assert.match(
      await p.say(":show", /generation=\d\n/),
      new RegExp(`files=${a} .*\ngeneration=1\n`),
    );
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
    await ours.stop();
  }
  // With only servers without it, dcat ends when they are done, as without --interactive-query.
  const alone = start(c, "dcat", [legacy], ["--plain", a]);
  try {
    assert.equal(await alone.exit(), 0, alone.stderr);
    assert.equal(alone.stdout, "ERROR one\nWARN two\nINFO three\nERROR four\n");
  } finally {
    await alone.close();
    await legacy.close();
  }
});

sshTest("dcat on a dserver: a reload of the files, and a filter flag is refused", async (c) => {
  const { a, b } = await logs();
  const server = await TestServer.start(c, { server: PERMISSIONS });
  const p = start(c, "dcat", [server], ["--plain", "--files", a]);
  try {
    await p.ready();
    await p.waitOut(/ERROR one\nWARN two\nINFO three\nERROR four\n/);
    let at = p.stdout.length;
    await p.say(":reload --grep WARN", /interactive query error: [^\n]*\n/);
    at = p.stdout.length;
    await p.say(`:reload --files ${b}`, "reload applied successfully");
    await p.waitOut(/ERROR b1\nWARN b2\n/, at);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(count(p.stdout.slice(at), "one"), 0, "nothing of the old files after the reply");
    const shown = await p.say(":show", new RegExp(`${server.address}: [^\\n]*\\n`));
    assert.match(shown, new RegExp(`mode=cat files=${b} `));
    assert.match(shown, /generation=2\n/);
    assert.equal(await p.quit(), 0);
    assertNoStackTrace(p.stderr);
  } finally {
    await p.close();
    await server.stop();
  }
});
