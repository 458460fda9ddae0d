/**
 * Server and client life cycle over real SSH: SIGHUP reopens the server log after an external
 * rotation, MaxConcurrentTails queues followers, and the known_hosts prompt on a real terminal
 * (`script` gives the client a pty).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, DENO_DIR, ROOT, UPSTREAM } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { append, assertExactlyOnceInOrder, Follower, numbered } from "./follower.ts";
import { MAX_QUEUED_TAILS } from "../server/session/read_runner.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (text: string, what: string) => text.split(what).length - 1;

Deno.test({
  name: "after a logrotate-style rename, SIGHUP makes dserver log to a new file at the old path",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      logger: "file",
      common: { LogRotation: "none" }, // <LogDir>/dserver.log whatever the date
    });
    const path = `${server.dir}/log/dserver.log`;
    try {
      // A missing file puts its path into the server log: one marker per session.
      const first = await client.run("dcat", [server], ["--trustAllHosts", "/nonexistent/first"]);
      assert.match(first.stderr, /Unable to read file/);
      assert.match(await Deno.readTextFile(path), /no file matches \/nonexistent\/first/);

      await Deno.rename(path, `${path}.1`);
      server.signal("SIGHUP");
      await sleep(250); // the signal is handled asynchronously; nothing shows until the next line
      const second = await client.run("dcat", [server], ["/nonexistent/second"]);
      assert.match(second.stderr, /Unable to read file/);

      const reopened = await Deno.readTextFile(path);
      const rotated = await Deno.readTextFile(`${path}.1`);
      assert.match(reopened, /no file matches \/nonexistent\/second/);
      assert.equal(count(reopened, "shell started"), 1, reopened);
      assert.doesNotMatch(reopened, /\/nonexistent\/first/);
      assert.doesNotMatch(rotated, /\/nonexistent\/second/);
      assert.equal(count(rotated, "shell started"), 1, rotated);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});

Deno.test({
  name: "with MaxConcurrentTails 1, a second follower waits for the slot and then gets every line",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxConcurrentTails: 1 } });
    const dir = await Deno.makeTempDir({ prefix: "dtail-tails-" });
    await Deno.chmod(dir, 0o755);
    const [a, b] = [`${dir}/a.log`, `${dir}/b.log`];
    for (const path of [a, b]) {
      await Deno.writeTextFile(path, "");
      await Deno.chmod(path, 0o644);
    }
    const follow = (path: string) =>
      new Follower(
        ["--user", "dtail-alice", "--servers", server.address, "--trustAllHosts", path],
        { HOME: client.home, SSH_AUTH_SOCK: "" },
      );
    const first = follow(a);
    let second: Follower | undefined;
    try {
      await first.ready(a);
      second = follow(b);
      // A tail starts where the file ends when its command arrives: wait for the command (the
      // server queues it, the slot being taken), not only for the session, before writing.
      const deadline = Date.now() + 10_000;
      while (!/Server limit hit, queueing file\|.*b\.log/.test(server.log())) {
        assert.ok(Date.now() < deadline, `the second tail was never queued:\n${server.log()}`);
        await sleep(20);
      }
      // With a free slot these lines arrive within milliseconds (see the follow tests).
      const queued = numbered("queued", 0, 30);
      for (const line of queued) {
        await append(b, [line]);
        await sleep(50);
      }
      assert.deepEqual(second.lines, [], "nothing is delivered while the first holds the slot");

      assert.equal(await first.stop(), 0);
      // The slot passes on. The tail's start was pinned when its command arrived (unlike Go,
      // which starts at the end of the file when the slot frees): the queued lines come too.
      await second.ready(b);
      const after = numbered("after", 0, 2000);
      await append(b, after);
      await second.waitFor((l) => l.includes("after 1999"), "the last line", 20_000);
      assertExactlyOnceInOrder(second.payload(), [...queued, ...after]);
    } finally {
      await first.stop();
      if (second) assert.equal(await second.stop(), 0);
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "a session's tails that wait for a slot are bounded: past 1,000 a file is not followed, told",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client, { server: { MaxConcurrentTails: 1 } });
    const dir = await Deno.makeTempDir({ prefix: "dtail-tails-" });
    await Deno.chmod(dir, 0o755);
    const paths = Array.from({ length: MAX_QUEUED_TAILS + 4 }, (_, i) => `${dir}/f${i}.log`);
    for (const path of paths) {
      await Deno.writeTextFile(path, "");
      await Deno.chmod(path, 0o644);
    }
    const follower = new Follower(
      [
        "--user",
        "dtail-alice",
        "--servers",
        server.address,
        "--trustAllHosts",
        "--files",
        paths.join(","),
      ],
      { HOME: client.home, SSH_AUTH_SOCK: "" },
    );
    try {
      // One file follows, 1,000 wait for the slot (each held open), the other 3 are refused.
      const deadline = Date.now() + 20_000;
      while (count(server.log(), "not following ") < 3) {
        assert.ok(Date.now() < deadline, `no refusals:\n${server.log().slice(-2000)}`);
        await sleep(50);
      }
      await sleep(300);
      assert.equal(count(server.log(), "not following "), 3);
      assert.equal(count(server.log(), "Server limit hit, queueing file"), MAX_QUEUED_TAILS);
      const fds = [...Deno.readDirSync(`/proc/${server.pid}/fd`)].length;
      assert.ok(fds < MAX_QUEUED_TAILS + 200, `${fds} descriptors open`);
      while (count(follower.stderr, "wait for a tail slot already") < 3) {
        assert.ok(Date.now() < deadline, `the client was not told:\n${follower.stderr}`);
        await sleep(50);
      }
    } finally {
      await follower.stop();
      await server.stop();
    }
  },
});

Deno.test({
  name: "a followed file swapped for one the rules refuse is told at once, with no lines to come",
  ignore: !canRunServers,
  fn: async () => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const dir = await Deno.makeTempDir({ prefix: "dtail-tails-" });
    await Deno.chmod(dir, 0o755);
    const path = `${dir}/app.log`;
    await Deno.writeTextFile(path, "");
    await Deno.chmod(path, 0o644);
    const follower = new Follower(
      ["--user", "dtail-alice", "--servers", server.address, "--trustAllHosts", path],
      { HOME: client.home, SSH_AUTH_SOCK: "" },
    );
    try {
      await follower.ready(path);
      await Deno.remove(path);
      await Deno.symlink(`${server.dir}/cache/ssh_host_key`, path); // outside every rule
      const deadline = Date.now() + 5000;
      while (!/Unable to read file/.test(follower.stderr)) {
        assert.ok(Date.now() < deadline, `not told within 5 s: ${follower.stderr}`);
        await sleep(50);
      }
      assert.deepEqual(follower.payload(), []);
    } finally {
      await follower.stop();
      await server.stop();
    }
  },
});

/** Runs a client program on a pseudo-terminal (`script`), answering the trust prompt. */
async function runOnTerminal(
  program: string,
  client: TestClient,
  args: string[],
  answer: string,
): Promise<{ code: number; output: string }> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const command = [
    Deno.execPath(),
    ...["run", "--allow-all", "--frozen", "--cached-only", `${ROOT}/app/main.ts`],
    ...["--cfg", "none", "--plain", "--user", "dtail-alice", ...args],
  ].map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env: {
      DTAIL_PROGRAM: program,
      DENO_DIR,
      HOME: client.home,
      SSH_AUTH_SOCK: "",
      SHELL: "/bin/sh",
      NO_COLOR: "",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const stdin = child.stdin.getWriter();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const deadline = Date.now() + 20_000;
    while (!output.includes("Do you want to trust these hosts")) {
      if (Date.now() > deadline) throw new Error(`no trust prompt:\n${output}`);
      await sleep(20);
    }
    await stdin.write(new TextEncoder().encode(`${answer}\n`));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit after the answer:\n${output}`)), 20_000);
    });
    const { code } = await Promise.race([child.status, timeout]);
    await collected;
    return { code, output: output.replaceAll("\r\n", "\n") };
  } finally {
    clearTimeout(timer);
    await stdin.close().catch(() => {});
    try {
      child.kill("SIGKILL"); // closing the pty hangs up the client too
    } catch {
      // already exited
    }
    await child.status;
    await collected;
  }
}

Deno.test({
  name: "on a terminal, an unknown host key is trusted and saved with y, and refused with n",
  ignore: !canRunServers,
  fn: async (t) => {
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    const knownHosts = `${client.home}/.ssh/known_hosts`;
    const file = `${UPSTREAM}/dcat1c.txt`;
    const want = await Deno.readTextFile(file);
    const args = ["--servers", server.address, file];
    try {
      await t.step("n: the run fails with one line and known_hosts stays as it was", async () => {
        await Deno.writeTextFile(knownHosts, "# nothing trusted yet\n");
        const r = await runOnTerminal("dcat", client, args, "n");
        assert.equal(r.code, 1, r.output);
        assertNoStackTrace(r.output);
        const lines = r.output.split("\n");
        const prompt = lines.findIndex((l) => l.startsWith("Do you want to trust these hosts"));
        assert.deepEqual(lines.slice(prompt + 1), [
          `dcat: ${server.address}: host key refused`,
          "",
        ]);
        assert.equal(await Deno.readTextFile(knownHosts), "# nothing trusted yet\n");
      });
      await t.step("y: the run succeeds and known_hosts gets the server's key", async () => {
        const r = await runOnTerminal("dcat", client, args, "y");
        assert.equal(r.code, 0, r.output);
        assert.ok(r.output.endsWith(want), r.output);
        const key = await new Deno.Command("ssh-keygen", {
          args: ["-y", "-f", `${server.dir}/cache/ssh_host_key`],
        }).output();
        assert.ok(key.success);
        const [type, blob] = new TextDecoder().decode(key.stdout).trim().split(" ");
        assert.equal(
          await Deno.readTextFile(knownHosts),
          `# nothing trusted yet\n[127.0.0.1]:${server.port} ${type} ${blob}\n`,
        );
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});
