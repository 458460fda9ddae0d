/**
 * Labelled lines on a terminal show the control characters of their text instead of sending them
 * to the terminal (core/visible_controls.ts), serverless and over SSH, colored or not; `--plain`
 * and labelled output through a pipe keep the bytes as they are.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { runOnPty } from "./live_pty.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const EVIL = "evil \x1b]0;pwned\x07 \x1b[2J end \u009b6n";
const SHOWN = "evil \\x1b]0;pwned\\x07 \\x1b[2J end \\x9b6n";
const COLORED = "\x1b[1;31mred\x1b[0m ok";
/** The file's name, which a label shows. */
const NAME = "app\x1b]0;t\x07.log";
const NAME_SHOWN = "app?]0;t?.log"; // ids are made printable where they are made (core/glob.ts)

async function logFile(): Promise<string> {
  const dir = await tempDir("dtail-visible-");
  await Deno.chmod(dir, 0o755); // a dserver's user reads it
  const path = `${dir}/${NAME}`;
  await Deno.writeTextFile(path, `${EVIL}\n${COLORED}\nnormal\n`);
  await Deno.chmod(path, 0o644);
  return path;
}

function assertShown(output: string): void {
  assertNoStackTrace(output);
  assert.ok(output.includes(SHOWN), JSON.stringify(output));
  assert.ok(!output.includes("\x1b]0;"), JSON.stringify(output));
  assert.ok(!output.includes("\x1b[2J"), JSON.stringify(output));
  assert.ok(output.includes(NAME_SHOWN), JSON.stringify(output));
  assert.ok(output.includes(COLORED), JSON.stringify(output));
  assert.ok(output.includes("normal"), JSON.stringify(output));
}

Deno.test("serverless labelled lines on a terminal show their escape sequences, colored or not", async () => {
  const path = await logFile();
  for (const color of [[], ["--noColor"]]) {
    const r = await runOnPty("dcat", ["--cfg", "none", ...color, path]);
    assert.equal(r.code, 0, r.output);
    assertShown(r.output);
  }
});

Deno.test("a dmap table on a terminal shows the escape sequences of its values", async () => {
  const path = await logFile();
  const query = "select count($line),last($line) group by $line logformat generic";
  const r = await runOnPty("dmap", ["--cfg", "none", "--noColor", "--query", query, path]);
  assert.equal(r.code, 0, r.output);
  assert.ok(r.output.includes(" | " + SHOWN), JSON.stringify(r.output));
  assert.ok(!r.output.includes("\x1b]0;"), JSON.stringify(r.output));
});

Deno.test("--plain on a terminal and labelled lines through a pipe keep the bytes as they are", async () => {
  const path = await logFile();
  const plain = await runOnPty("dcat", ["--cfg", "none", "--plain", path]);
  assert.equal(plain.code, 0, plain.output);
  // Deno run from the sources clears the terminal's line first, as it does for its progress bar.
  const text = plain.output.replaceAll("\r\n", "\n").replaceAll("\x1b[0G\x1b[2K\x1b[J", "");
  assert.equal(text, `${EVIL}\n${COLORED}\nnormal\n`);
  const piped = await run("dcat", ["--cfg", "none", "--noColor", path]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(piped.text.includes(`${NAME_SHOWN}|${EVIL}\n`), JSON.stringify(piped.text));
});

Deno.test({
  name: "over SSH, labelled lines on a terminal show their escape sequences, colored or not",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const path = await logFile();
    try {
      for (const color of [[], ["--noColor"]]) {
        const r = await runOnPty("dcat", [
          ...["--cfg", "none", "--user", "dtail-alice", "--servers", server.address],
          ...["--trustAllHosts", "--quiet", ...color, path],
        ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
        assert.equal(r.code, 0, r.output);
        assertShown(r.output);
      }
      const piped = await client.run("dcat", [server], ["--trustAllHosts", "--noColor", path]);
      assert.equal(piped.code, 0, piped.stderr);
      assert.ok(piped.text.includes(`${NAME_SHOWN}|${EVIL}\n`), JSON.stringify(piped.text));
    } finally {
      await server.stop();
    }
  },
});
