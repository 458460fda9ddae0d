/**
 * Interactive query reload (docs/protocol.md#session) with the Go DTail as the peer
 * (../shared/go-dtail/bin, tests/go_peer_env.ts): a Go client driven through a pseudo-terminal
 * (its `--control-tty`) reloads against our dserver. Without the Go binaries, one line says the
 * suite was skipped.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace } from "./helpers.ts";
import { TestClient, TestServer } from "./ssh_env.ts";
import { copyHome, goPeerSkipReason, GoServer, spawnGo } from "./go_peer_env.ts";
import { Interactive } from "./interactive_env.ts";
import { Pty } from "./pty.ts";

const SKIP = goPeerSkipReason;
if (SKIP !== null) {
  Deno.test({ name: `Go peer reload: skipped (${SKIP})`, ignore: true, fn: () => {} });
}

/** Registers a test of this suite unless the Go peer is missing. */
function peerTest(name: string, fn: () => Promise<void>): void {
  if (SKIP === null) {
    Deno.test({
      name: `Go peer reload: ${name}`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn,
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Go client program's stdout, collected as it comes. */
function collect(child: Deno.ChildProcess) {
  let text = "";
  const decoder = new TextDecoder();
  const pumping = (async () => {
    for await (const chunk of child.stdout) text += decoder.decode(chunk, { stream: true });
  })();
  child.stderr.cancel().catch(() => {});
  return {
    get text() {
      return text;
    },
    async waitFor(what: string, holds: (text: string) => boolean, ms = 15_000) {
      for (const deadline = Date.now() + ms; !holds(text);) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; stdout:\n${text}`);
        await sleep(20);
      }
    },
    done: pumping,
  };
}

/** The payload lines (`REMOTE|host|…|<line>`) in a Go client's output, colors removed. */
function remoteLines(text: string): string[] {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  return plain.split("\n").filter((l) => l.startsWith("REMOTE|")).map((l) => l.split("|").at(-1)!);
}

// ---- Server direction: a Go client reloads against our dserver ----

peerTest("a Go dgrep reloads --grep WARN after ERROR against our dserver", async () => {
  const client = await TestClient.create();
  const server = await TestServer.start(client);
  const goHome = await copyHome(client);
  const dir = await Deno.makeTempDir({ prefix: "dtail-reload-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/app.log`;
  const lines = [1, 2, 3].flatMap((
    n,
  ) => [`${n} ERROR boom`, `${n} WARN careful`, `${n} INFO fine`]);
  await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o644 });
  const pty = Pty.open();
  const child = spawnGo(goHome, "dgrep", [server], [
    "--noColor",
    "--files",
    path,
    "--grep",
    "ERROR",
    "--interactive-query",
    "--control-tty",
    pty.slavePath,
  ]);
  const out = collect(child);
  try {
    await pty.waitFor("Interactive query control enabled");
    await out.waitFor("the ERROR lines", (t) => remoteLines(t).length === 3);
    assert.deepEqual(remoteLines(out.text), ["1 ERROR boom", "2 ERROR boom", "3 ERROR boom"]);
    const before = out.text.length;
    pty.line(":reload --grep WARN");
    await pty.waitFor("reload applied successfully");
    await out.waitFor("the WARN lines", (t) => remoteLines(t.slice(before)).length === 3);
    await sleep(300); // nothing else follows
    assert.deepEqual(remoteLines(out.text.slice(before)), [
      "1 WARN careful",
      "2 WARN careful",
      "3 WARN careful",
    ]);
    pty.line(":quit");
    await pty.waitFor("quitting interactive session");
    const status = await Promise.race([child.status, sleep(10_000).then(() => null)]);
    assert.ok(status !== null, "the Go client ended after :quit");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await out.done.catch(() => {});
    await pty.close();
    assert.equal(await server.stop(), 0);
    await Promise.all(
      [dir, goHome.home, client.home].map((p) =>
        Deno.remove(p, { recursive: true }).catch(() => {})
      ),
    );
  }
  assertNoStackTrace(server.log());
});

peerTest("a Go dtail reloads a follow's regex against our dserver and old lines stop", async () => {
  const client = await TestClient.create();
  const server = await TestServer.start(client);
  const goHome = await copyHome(client);
  const dir = await Deno.makeTempDir({ prefix: "dtail-reload-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "start\n", { mode: 0o644 });
  const pty = Pty.open();
  const child = spawnGo(goHome, "dtail", [server], [
    "--noColor",
    "--files",
    path,
    "--grep",
    "ERROR",
    "--interactive-query",
    "--control-tty",
    pty.slavePath,
  ]);
  const out = collect(child);
  const append = (line: string) => Deno.writeTextFile(path, line + "\n", { append: true });
  try {
    await pty.waitFor("Interactive query control enabled");
    for (const deadline = Date.now() + 15_000; !/session start ok/.test(server.log());) {
      if (Date.now() > deadline) assert.fail(`no session started:\n${server.log()}`);
      await sleep(20);
    }
    await sleep(500); // the follow is at the end of the file
    await append("a ERROR");
    await append("a WARN");
    await out.waitFor("the ERROR line", (t) => remoteLines(t).includes("a ERROR"));
    pty.line(":reload --grep WARN");
    await pty.waitFor("reload applied successfully");
    const before = out.text.length;
    await sleep(500);
    await append("b ERROR");
    await append("b WARN");
    await out.waitFor("the WARN line", (t) => remoteLines(t.slice(before)).includes("b WARN"));
    await sleep(300);
    assert.deepEqual(remoteLines(out.text.slice(0, before)), ["a ERROR"]);
    assert.deepEqual(remoteLines(out.text.slice(before)), ["b WARN"]);
    pty.line(":quit");
    await pty.waitFor("quitting interactive session");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await out.done.catch(() => {});
    await pty.close();
    assert.equal(await server.stop(), 0);
    await Promise.all(
      [dir, goHome.home, client.home].map((p) =>
        Deno.remove(p, { recursive: true }).catch(() => {})
      ),
    );
  }
  assertNoStackTrace(server.log());
});

peerTest("a Go dmap reloads its query against our dserver and reports the new groups", async () => {
  const client = await TestClient.create();
  const server = await TestServer.start(client);
  const goHome = await copyHome(client);
  const dir = await Deno.makeTempDir({ prefix: "dtail-reload-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/s.log`;
  const stats = (g: number, host: string) =>
    `INFO|1124-101010|1|s.go:1|8|${g}|7|0.5|1s|MAPREDUCE:STATS|host=${host}`;
  const log = [stats(4, "web01"), stats(6, "web01"), stats(9, "web02")];
  await Deno.writeTextFile(path, log.join("\n") + "\n", { mode: 0o644 });
  const pty = Pty.open();
  const child = spawnGo(goHome, "dmap", [server], [
    "--noColor",
    "--files",
    path,
    "--query",
    "from STATS select count($line)",
    "--interactive-query",
    "--control-tty",
    pty.slavePath,
  ]);
  const out = collect(child);
  try {
    await out.waitFor("the first report", (t) => /count\(\$line\)[\s\S]*-+\n +3 \n/.test(t));
    const before = out.text.length;
    pty.line(":reload --query 'from STATS select max($goroutines) group by host'");
    await pty.waitFor("reload applied successfully");
    await out.waitFor("the new report", (t) => /9\.000000/.test(t.slice(before)));
    const after = out.text.slice(before);
    assert.match(after, /from STATS select max\(\$goroutines\) group by host\n/);
    assert.match(after, / +6\.000000 \n +9\.000000 \n/);
    assert.doesNotMatch(after, /count\(\$line\)/);
    pty.line(":quit");
    await pty.waitFor("quitting interactive session");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await out.done.catch(() => {});
    await pty.close();
    assert.equal(await server.stop(), 0);
    await Promise.all(
      [dir, goHome.home, client.home].map((p) =>
        Deno.remove(p, { recursive: true }).catch(() => {})
      ),
    );
  }
  assertNoStackTrace(server.log());
});

// ---- Client direction: our client (through its control terminal) reloads against a Go dserver ----

/** One of our client programs with --interactive-query against `peers`. */
function oursInteractive(
  home: string,
  program: string,
  peers: readonly { address: string }[],
  args: string[],
) {
  return Interactive.start(program, [
    "--cfg",
    "none",
    "--user",
    "dtail-alice",
    "--trustAllHosts",
    "--servers",
    peers.map((p) => p.address).join(","),
    ...args,
  ], { env: { HOME: home, SSH_AUTH_SOCK: "" } });
}

async function readableLog(lines: string[]): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-reload-" });
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, lines.map((l) => l + "\n").join(""), { mode: 0o644 });
  return { dir, path };
}

peerTest("our dgrep reloads --grep WARN after ERROR against a Go dserver", async () => {
  const client = await TestClient.create();
  const go = await GoServer.start(client);
  const { dir, path } = await readableLog(["1 ERROR boom", "1 WARN careful", "2 ERROR boom"]);
  const p = oursInteractive(client.home, "dgrep", [go], ["--plain", "--grep", "ERROR", path]);
  try {
    await p.ready();
    await p.waitOut("1 ERROR boom\n2 ERROR boom\n");
    const show = await p.until(":show", /last-ack="start ok 1"/);
    assert.match(show, /mode=grep files=\S+app\.log query="" regex="ERROR" .*capable=1\/1\n/);
    const at = p.stdout.length;
    await p.say(":reload --grep WARN", "reload applied successfully");
    await p.waitOut("1 WARN careful\n", at);
    await sleep(300);
    assert.equal(p.stdout.slice(at), "1 WARN careful\n");
    assert.match(await p.say(":show", /last-ack[^\n]*\n/), /generation=2\n.*update ok 2/);
    assert.equal(await p.quit(), 0);
    assertNoStackTrace(p.stderr);
  } finally {
    await p.close();
    await go.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

peerTest("our dtail reloads a follow against a Go dserver and our dserver at once", async () => {
  const client = await TestClient.create();
  const go = await GoServer.start(client);
  const ourServer = await TestServer.start(client, {
    server: { Permissions: { Default: ["readfiles:^/.*$"] } },
  });
  const { dir, path } = await readableLog(["start"]);
  const p = oursInteractive(client.home, "dtail", [go, ourServer], [
    "--plain",
    "--grep",
    "ERROR",
    path,
  ]);
  try {
    await p.ready();
    await p.until(":show", /capable=2\/2\n/);
    // Until both follows are at the end of the file, and again after the reload.
    await p.appendUntil(path, (n) => [`a${n} ERROR`, `a${n} WARN`], /(?:a\d+ ERROR\n[^]*){2}/, 0);
    await p.say(":reload --grep WARN", "reload applied successfully");
    const at = p.stdout.length;
    await p.appendUntil(
      path,
      (n) => [`b${n} ERROR`, `b${n} WARN`],
      /b(\d+) WARN\n[^]*b\1 WARN\n/,
      at,
    );
    await sleep(300);
    assert.match(p.stdout.slice(at), /^(?:b\d+ WARN\n)+$/);
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
    await go.stop();
    await ourServer.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

peerTest("our dmap reloads its query against a Go dserver", async () => {
  const client = await TestClient.create();
  const go = await GoServer.start(client);
  const stats = (g: number, host: string) =>
    `INFO|1124-101010|1|s.go:1|8|${g}|7|0.5|1s|MAPREDUCE:STATS|host=${host}`;
  const { dir, path } = await readableLog([
    stats(4, "web01"),
    stats(6, "web01"),
    stats(9, "web02"),
  ]);
  const p = oursInteractive(client.home, "dmap", [go], [
    "--plain",
    "--query",
    "from STATS select count($line) group by host interval 1",
    path,
  ]);
  try {
    await p.ready();
    await p.waitOut(/count\(\$line\)\s*\n-+\s*\n\s*2 \n\s*1 \n/, 0, 15_000);
    const at = p.stdout.length;
    await p.say(
      ":reload --query 'from STATS select max($goroutines) group by host interval 1'",
      "reload applied successfully",
    );
    await p.waitOut(/9\.000000/, at, 15_000);
    assert.doesNotMatch(p.stdout.slice(at), /count\(\$line\)/);
    assert.match(p.stdout.slice(at), / +6\.000000 \n +9\.000000 \n/);
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
    await go.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
