/**
 * What a client does with a server whose replies are not DTail's: one line naming that server and
 * what was wrong, a non-zero exit, and the other servers' output whole. The broken server is an
 * SSH server of the test's own (tests/scripted_server.ts), not a dserver.
 */
import assert from "node:assert/strict";
import type { ServerChannel } from "ssh2";
import { concatBytes } from "../core/bytes.ts";
import { BLOCK_CAPABILITY, blockHeader } from "../core/protocol/blocks.ts";
import {
  capabilitiesMessage,
  ESCAPE_CAPABILITY,
  MAX_MESSAGE_BYTES,
} from "../core/protocol/messages.ts";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { ScriptedServer, writeAll } from "./scripted_server.ts";
import { Follower } from "./follower.ts";
import { RESUME_CAPABILITY } from "../core/protocol/resume.ts";

/** After the client's commands, one message that never ends: more than the client takes. */
async function endlessMessage(channel: ServerChannel): Promise<void> {
  await new Promise((r) => channel.once("data", r));
  const piece = new Uint8Array(1 << 20).fill(0x78);
  for (let sent = 0; sent <= MAX_MESSAGE_BYTES; sent += piece.length) {
    await writeAll(channel, piece);
  }
}

/** As a dserver of ours begins: its capability list; then it waits for the client's commands. */
async function greet(channel: ServerChannel, capabilities: string[]): Promise<void> {
  const hello = new TextEncoder().encode(capabilitiesMessage(capabilities));
  await writeAll(channel, concatBytes(hello, new Uint8Array([0xac])));
  await new Promise((r) => channel.once("data", r));
}

function clientArgs(
  home: string,
  servers: string[],
  file: string,
): [string[], { env: Record<string, string> }] {
  return [
    ["--cfg", "none", "--plain", "--trustAllHosts", "--servers", servers.join(","), file],
    { env: { HOME: home, SSH_AUTH_SOCK: "" } },
  ];
}

Deno.test("a server that sends a message without end costs one error line and exit 1", async () => {
  const client = await TestClient.create();
  const hostile = await ScriptedServer.start(endlessMessage);
  try {
    const [args, options] = clientArgs(client.home, [hostile.address], "/var/log/x.log");
    const r = await run("dcat", args, options);
    assertNoStackTrace(r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.length, 0);
    const lines = r.stderr.trimEnd().split("\n").filter((l) => l.includes(hostile.address));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0]!,
      /malformed data from the server: a message of more than 64 MiB without its end \(0xAC\)/,
    );
  } finally {
    await hostile.stop();
    await Deno.remove(client.home, { recursive: true });
  }
});

Deno.test({
  name: "the other servers' lines all arrive beside a server that never ends its message",
  ignore: !canRunServers,
  async fn() {
    const client = await TestClient.create();
    const good = await TestServer.start(client);
    const hostile = await ScriptedServer.start(endlessMessage);
    const dir = await tempDir("dtail-hostile-");
    try {
      await Deno.chmod(dir, 0o755);
      const file = `${dir}/app.log`;
      const text = Array.from({ length: 20_000 }, (_, i) => `line ${i} of the good server\n`).join(
        "",
      );
      await Deno.writeTextFile(file, text);
      await Deno.chmod(file, 0o644);
      const [args, options] = clientArgs(client.home, [good.address, hostile.address], file);
      const r = await run("dcat", ["--user", "dtail-alice", ...args], options);
      assertNoStackTrace(r.stderr);
      assert.equal(r.code, 3, r.stderr); // docs/usage.md#exit-status: some servers answered
      assert.equal(new TextDecoder().decode(r.stdout), text);
      assert.match(r.stderr, /a message of more than 64 MiB without its end/);
    } finally {
      await hostile.stop();
      await good.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});

Deno.test("a raw block whose last line has no end is malformed data, said in one line", async () => {
  const client = await TestClient.create();
  const enc = new TextEncoder();
  const hostile = await ScriptedServer.start(async (channel) => {
    await greet(channel, [ESCAPE_CAPABILITY, BLOCK_CAPABILITY]);
    const lines = enc.encode("whole line\nno end");
    await writeAll(channel, concatBytes(blockHeader(lines.length), lines, new Uint8Array([0xac])));
  });
  try {
    const [args, options] = clientArgs(client.home, [hostile.address], "/var/log/x.log");
    const r = await run("dcat", args, options);
    assertNoStackTrace(r.stderr);
    assert.equal(r.code, 3, r.stderr); // partial: a line came before the damage
    // The whole line before the damage is printed; the line without its end is not.
    assert.equal(new TextDecoder().decode(r.stdout), "whole line\n");
    assert.match(
      r.stderr,
      /: malformed data from the server: block does not end with a line's end\n/,
    );
  } finally {
    await hostile.stop();
    await Deno.remove(client.home, { recursive: true });
  }
});

Deno.test("a follow whose server never confirms its lines ends that session, printing none", async () => {
  const client = await TestClient.create();
  const enc = new TextEncoder();
  const hostile = await ScriptedServer.start(async (channel) => {
    await greet(channel, [ESCAPE_CAPABILITY, RESUME_CAPABILITY]);
    const line = concatBytes(
      enc.encode(`REMOTE|h|100|1|x.log|${"y".repeat(1000)}\n`),
      new Uint8Array([0xac]),
    );
    const many = concatBytes(...Array.from({ length: 1024 }, () => line));
    for (let sent = 0; sent <= MAX_MESSAGE_BYTES; sent += many.length) {
      await writeAll(channel, many);
    }
  });
  const dtail = new Follower(
    ["--trustAllHosts", "--servers", hostile.address, "/var/log/x.log"],
    { HOME: client.home, SSH_AUTH_SOCK: "" },
  );
  try {
    const deadline = Date.now() + 20_000;
    while (!dtail.stderr.includes("without a position") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(
      dtail.stderr,
      /: malformed data from the server: more than 64 MiB of lines without a position\n/,
    );
    assertNoStackTrace(dtail.stderr);
    assert.deepEqual(dtail.lines, [], "held lines are never printed unconfirmed");
  } finally {
    await dtail.stop();
    await hostile.stop();
    await Deno.remove(client.home, { recursive: true });
  }
});

const UNANSWERED = [
  ["refuse session", "the server refused a session channel"],
  ["refuse shell", "the server refused the shell request"],
  ["ignore session", "the server did not open a session in 500 ms"],
  ["ignore shell", "the server did not open a session in 500 ms"],
] as const;

for (const [unanswered, why] of UNANSWERED) {
  Deno.test(`a server that does not open the session (${unanswered}) fails alone`, async () => {
    const client = await TestClient.create();
    const hostile = await ScriptedServer.start(() => {}, unanswered);
    // A server on the Go wire that answers every run with one line.
    const good = await ScriptedServer.start(async (channel) => {
      await new Promise((r) => channel.once("data", r));
      const enc = new TextEncoder();
      const message = (text: string) => concatBytes(enc.encode(text), new Uint8Array([0xac]));
      await writeAll(channel, concatBytes(message("a line\n"), message(".syn close connection")));
    });
    try {
      const servers = [hostile.address, good.address];
      const [args, options] = clientArgs(client.home, servers, "/var/log/x.log");
      // SSHConnectTimeoutMs bounds each step of connecting, opening the session too.
      await Deno.writeTextFile(
        `${client.home}/dtail.json`,
        JSON.stringify({ Common: { SSHConnectTimeoutMs: 500 } }),
      );
      args.splice(args.indexOf("none"), 1, `${client.home}/dtail.json`);
      const r = await run("dcat", args, options);
      assertNoStackTrace(r.stderr);
      assert.equal(r.code, 3, r.stderr); // docs/usage.md#exit-status: some servers answered
      assert.equal(new TextDecoder().decode(r.stdout), "a line\n");
      assert.equal(r.stderr, `dcat: ${hostile.address}: ${why}\n`);
    } finally {
      await hostile.stop();
      await good.stop();
      await Deno.remove(client.home, { recursive: true });
    }
  });
}

Deno.test("a server's thousands of malformed AGGREGATE messages are told in a dozen lines", async () => {
  const client = await TestClient.create();
  const enc = new TextEncoder();
  const message = (text: string) => concatBytes(enc.encode(text), new Uint8Array([0xac]));
  const hostile = await ScriptedServer.start(async (channel) => {
    await new Promise((r) => channel.once("data", r));
    const bad = Array.from({ length: 5000 }, (_, i) => message(`AGGREGATE|h|k${i}|no groups`));
    await writeAll(channel, concatBytes(...bad, message(".syn close connection")));
  });
  try {
    const [args, options] = clientArgs(client.home, [hostile.address], "/var/log/x.log");
    args.splice(args.length - 1, 0, "--query", "select count($line) group by k");
    const r = await run("dmap", args, options);
    assertNoStackTrace(r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    const shown = lines.filter((l) => l.startsWith("dmap: ignoring a malformed AGGREGATE message"));
    assert.equal(shown.length, 10, r.stderr);
    assert.ok(
      lines.includes("dmap: more malformed AGGREGATE messages ignored: not shown one by one"),
    );
    assert.ok(lines.includes("dmap: 5000 malformed AGGREGATE messages ignored in all"), r.stderr);
    assert.ok(lines.length <= 14, r.stderr);
  } finally {
    await hostile.stop();
    await Deno.remove(client.home, { recursive: true });
  }
});
