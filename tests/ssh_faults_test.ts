/**
 * Faults against a real dserver: malformed frames, an oversized frame, a non-shell request.
 * Each gets its one clear answer, and the server keeps serving other sessions.
 */
import assert from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import { spawn, UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { Follower } from "./follower.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { exchange, rawClient } from "./ssh_raw.ts";

Deno.test({
  name: "a real dserver answers malformed input with notices and keeps serving",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxCommandFrameSize: 4096 } });
    const enc = new TextEncoder();
    try {
      await t.step(
        "bad frames, a version mismatch and an unknown command, then a good one",
        async () => {
          const c = await rawClient(client, server);
          const messages = await exchange(c, [
            enc.encode("no protocol here;protocol 5.0 base64 YQ==;protocol 4.1 base64 !!;"),
            encodeFrame("frobnicate x"),
            encodeFrame(`cat: ${UPSTREAM}/dcat1c.txt regex:noop `),
          ]);
          c.end();
          const notices = messages.filter((m) => m.startsWith("SERVER|"));
          assert.match(notices[0]!, /unable to determine protocol version/);
          assert.match(notices[1]!, /please update DTail server/);
          assert.match(notices[2]!, /unable to decode client message/);
          assert.match(
            notices[3]!,
            /Received unknown user command\|frobnicate\|2\|\[frobnicate x\]/,
          );
          assert.equal(messages.filter((m) => m.startsWith("REMOTE|")).length, 10);
          assert.equal(messages[messages.length - 1], ".syn close connection");
        },
      );
      await t.step("an oversized frame closes that session only", async () => {
        const c = await rawClient(client, server);
        const messages = await exchange(c, [enc.encode("x".repeat(10_000))]);
        c.end();
        assert.ok(
          messages.some((m) => /command frame larger than 4096 bytes/.test(m)),
          messages.join(),
        );
        const after = await client.run("dcat", [server], [
          "--plain",
          "--trustAllHosts",
          `${UPSTREAM}/dcat1c.txt`,
        ]);
        assert.equal(after.code, 0, after.stderr);
      });
      await t.step("an exec request ends the connection", async () => {
        const c = await rawClient(client, server);
        const closed = new Promise<void>((r) => c.on("close", () => r()));
        c.exec("cat /etc/passwd", () => {});
        await Promise.race([
          closed,
          new Promise((_, f) => setTimeout(() => f(new Error("not closed")), 5000)),
        ]);
        const deadline = Date.now() + 5000;
        while (!/channel request exec not allowed/.test(server.log()) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.match(server.log(), /channel request exec not allowed/);
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});

Deno.test({
  name: "over SSH, an unknown user, a dying server and an RSA key each end as they should",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { users: ["dtail-alice", "nosuchuser"] });
    try {
      await t.step("a key for a user the OS does not know: refused, exit 1", async () => {
        const r = await client.run(
          "dcat",
          [server],
          ["--trustAllHosts", `${UPSTREAM}/dcat1c.txt`],
          {
            user: "nosuchuser",
          },
        );
        assert.equal(r.code, 1);
        assert.match(r.stderr, /closed the session before the run completed/);
        assert.match(server.log(), /nosuchuser.*session refused: no such OS user/);
      });
      await t.step("an RSA client key works as well as ed25519", async () => {
        const rsa = await Deno.makeTempDir({ prefix: "dtail-rsa-" });
        const gen = await new Deno.Command("ssh-keygen", {
          args: ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", `${rsa}/id_rsa`],
        }).output();
        assert.ok(gen.success);
        await Deno.writeTextFile(
          `${server.dir}/cache/dtail-alice.authorized_keys`,
          await Deno.readTextFile(`${rsa}/id_rsa.pub`),
          { append: true },
        );
        const r = await client.run("dcat", [server], [
          "--plain",
          "--auth-key-path",
          `${rsa}/id_rsa`,
          `${UPSTREAM}/dcat1c.txt`,
        ]);
        assert.equal(r.code, 0, r.stderr);
      });
    } finally {
      await server.stop();
    }
    await t.step("a server that dies mid-stream: the client says so and fails", async () => {
      const { big, dying, child } = await dcatOfBigFile(client, ["--plain"]);
      const reader = child.stdout.getReader();
      await reader.read(); // the stream is flowing
      await dying.stop();
      let received = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value.length;
      }
      const status = await child.status;
      const stderr = new TextDecoder().decode(
        (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
      );
      assert.notEqual(status.code, 0);
      assert.match(stderr, /closed the session before the run completed/);
      assert.ok(received < BIG_LINE.length * BIG_LINES, "the output stopped early");
      await Deno.remove(big, { recursive: true });
    });

    for (const plain of [true, false]) {
      const mode = plain ? "--plain" : "labelled";
      await t.step(`a server killed mid-stream leaves no half line (${mode})`, async () => {
        const { big, dying, child } = await dcatOfBigFile(client, [
          plain ? "--plain" : "--noColor",
        ]);
        const reader = child.stdout.getReader();
        const chunks: Uint8Array[] = [];
        let received = 0;
        while (received < 1_000_000) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(value);
          received += value.length;
        }
        dying.signal("SIGKILL");
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(value);
        }
        assert.notEqual((await child.status).code, 0);
        await child.stderr.cancel();
        const text = new TextDecoder().decode(concatBytes(...chunks));
        const line = plain
          ? /^a line of a big file$/
          : /^REMOTE\|[^|]+\|100\|\d+\|big\.log\|a line of a big file$/;
        assert.ok(text.endsWith("\n"), `output ends mid-line: ${JSON.stringify(text.slice(-40))}`);
        const lines = text.slice(0, -1).split("\n");
        assert.ok(lines.length < BIG_LINES, "the output stopped early");
        for (const l of lines) assert.match(l, line);
        await Deno.remove(big, { recursive: true });
      });
    }
  },
});

const BIG_LINE = "a line of a big file\n";
const BIG_LINES = 2_000_000;

/** A fresh dserver and a running `dcat` of a 42 MB file on it (the caller stops both). */
Deno.test({
  name: "a dserver that stops answering (SIGSTOP) is given up after 3 keepalives",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const cfg = `${client.home}/keepalive.json`;
    await Deno.writeTextFile(cfg, '{"Client": {"SSHKeepaliveIntervalMs": 300}}');
    await t.step("dcat ends with the reason instead of waiting forever", async () => {
      const { big, dying, child } = await dcatOfBigFile(client, ["--plain"], cfg);
      try {
        const reader = child.stdout.getReader();
        await reader.read(); // the stream is flowing
        dying.signal("SIGSTOP");
        while (!(await reader.read()).done) { /* what was sent before the stop */ }
        const status = await child.status;
        const stderr = new TextDecoder().decode(
          (await new Response(child.stderr).arrayBuffer()) as ArrayBuffer,
        );
        assert.notEqual(status.code, 0);
        assert.match(stderr, /did not answer for 0\.9 s \(3 keepalives\): connection given up/);
      } finally {
        dying.signal("SIGCONT");
        await dying.stop();
        await Deno.remove(big, { recursive: true });
      }
    });
    await t.step("dtail reconnects when it answers again, and every line comes once", async () => {
      const dir = await Deno.makeTempDir({ prefix: "dtail-stop-" });
      await Deno.chmod(dir, 0o755);
      const path = `${dir}/f.log`;
      await Deno.writeTextFile(path, "");
      await Deno.chmod(path, 0o644);
      const server = await TestServer.start(client);
      const f = new Follower([
        "--cfg",
        cfg,
        "--user",
        "dtail-alice",
        "--trustAllHosts",
        "--servers",
        server.address,
        path,
      ], { HOME: client.home, SSH_AUTH_SOCK: "" });
      try {
        await f.ready(path);
        server.signal("SIGSTOP");
        const during = Array.from({ length: 50 }, (_, i) => `during ${i}`);
        await Deno.writeTextFile(path, during.join("\n") + "\n", { append: true });
        const started = Date.now();
        while (!/did not answer/.test(f.stderr) && Date.now() - started < 10_000) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.match(f.stderr, /did not answer for 0\.9 s/);
        server.signal("SIGCONT");
        await f.waitFor((l) => l.includes("during 49"), "the lines written while stopped", 20_000);
        const got = f.lines.filter((l) => l.startsWith("during "));
        assert.deepEqual(got, during);
      } finally {
        server.signal("SIGCONT");
        await f.stop();
        await server.stop();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

async function dcatOfBigFile(client: TestClient, flags: string[], cfg = "none") {
  const big = await Deno.makeTempDir({ prefix: "dtail-big-" });
  await Deno.chmod(big, 0o755);
  await Deno.writeTextFile(`${big}/big.log`, BIG_LINE.repeat(BIG_LINES));
  await Deno.chmod(`${big}/big.log`, 0o644);
  const dying = await TestServer.start(client);
  const child = spawn("dcat", [
    "--cfg",
    cfg,
    ...flags,
    "--user",
    "dtail-alice",
    "--trustAllHosts",
    "--servers",
    dying.address,
    `${big}/big.log`,
  ], { env: { HOME: client.home, SSH_AUTH_SOCK: "" } });
  return { big, dying, child };
}
