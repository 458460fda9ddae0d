/**
 * Client config and flag mistakes of the security issue (item 9): each gives one clear line and
 * exit 2, never `internal error` or a silent fallback.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";

function assertOneLine(stderr: string, ...parts: string[]): void {
  assertNoStackTrace(stderr);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  for (const part of parts) assert.ok(lines[0]!.includes(part), `${part} not in: ${lines[0]}`);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir("dtail-sec9-");
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a negative Server.MaxGlobTargets in the client config is a config error", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.log`, "line\n");
    await Deno.writeTextFile(
      `${dir}/dtail.json`,
      JSON.stringify({ Server: { MaxGlobTargets: -1 } }),
    );
    const r = await run("dcat", ["--cfg", `${dir}/dtail.json`, "--plain", `${dir}/a.log`]);
    assert.equal(r.code, 2);
    assertOneLine(
      r.stderr,
      `${dir}/dtail.json`,
      "Server.MaxGlobTargets must be at least 1, got -1",
    );
    assert.equal(r.stdout.length, 0);
  });
});

Deno.test("a dmap outfile in a missing directory names the directory", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.log`, "line\n");
    const query = `from STATS select count($line) outfile ${dir}/missing/x.csv`;
    const r = await run("dmap", ["--cfg", "none", "--query", query, `${dir}/a.log`]);
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, `directory "${dir}/missing" does not exist`);
  });
});

Deno.test("an encrypted key without DTAIL_KEY_PASSPHRASE names the key file", async () => {
  await withDir(async (home) => {
    await Deno.mkdir(`${home}/.ssh`, { mode: 0o700 });
    const gen = await new Deno.Command("ssh-keygen", {
      args: ["-q", "-t", "ed25519", "-N", "s3cret", "-f", `${home}/.ssh/id_ed25519`],
    }).output();
    assert.ok(gen.success);
    const args = ["--cfg", "none", "--servers", "127.0.0.1:1", "--trustAllHosts", "/etc/hostname"];
    const env = { HOME: home, SSH_AUTH_SOCK: "" };
    const r = await run("dcat", args, { env });
    assert.equal(r.code, 2);
    assertOneLine(r.stderr, `${home}/.ssh/id_ed25519 is encrypted`, "DTAIL_KEY_PASSPHRASE");
    assert.ok(!r.stderr.includes("no SSH private key found"), r.stderr);
    const wrong = await run("dcat", args, { env: { ...env, DTAIL_KEY_PASSPHRASE: "nope" } });
    assert.equal(wrong.code, 2);
    assertOneLine(wrong.stderr, `${home}/.ssh/id_ed25519`, "DTAIL_KEY_PASSPHRASE does not decrypt");
  });
});

Deno.test("a bad Client.TermColors name is a config error, also in --plain mode", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.log`, "line\n");
    const colors = { Remote: { Text: { Fg: "purple" } } };
    await Deno.writeTextFile(
      `${dir}/dtail.json`,
      JSON.stringify({ Client: { TermColors: colors } }),
    );
    for (const extra of [[], ["--plain"], ["--noColor"]]) {
      const r = await run("dcat", ["--cfg", `${dir}/dtail.json`, ...extra, `${dir}/a.log`]);
      assert.equal(r.code, 2, extra.join(" "));
      assertOneLine(
        r.stderr,
        "Client.TermColors.Remote.Text.fg must be one of black, red,",
        '"purple"',
      );
      assert.equal(r.stdout.length, 0);
    }
  });
});
