import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { listenProblem, refuseRoot, ROOT_MESSAGE, runDserver } from "./dserver.ts";
import { connect, genKey, shellOutput } from "../ssh/_test_ssh.ts";
import { TEST_VERSION_LINE, testDeps, testSettings } from "./_test_dserver.ts";

const env = (name: string) => name === "DTAIL_HOSTNAME_OVERRIDE" ? "testhost" : undefined;

Deno.test("dserver refuses to run with uid or gid 0", async () => {
  assert.equal(refuseRoot(0, 1000), ROOT_MESSAGE);
  assert.equal(refuseRoot(1000, 0), ROOT_MESSAGE);
  assert.equal(refuseRoot(1000, 1000), null);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDserver(
    testSettings(),
    defaultConfig(() => undefined),
    testDeps({
      uid: 0,
      gid: 0,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    }),
  );
  assert.equal(code, 1);
  assert.deepEqual(out, []);
  assert.deepEqual(err, [
    "dserver: refusing to run as root; start it as an unprivileged user\n",
  ]);
});

async function serverConfig() {
  const dir = await Deno.makeTempDir({ prefix: "dserver_run_" });
  const key = genKey();
  await Deno.mkdir(`${dir}/cache`);
  await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, key.public + "\n");
  const config = defaultConfig(() => undefined);
  config.Common.CacheDir = `${dir}/cache`;
  config.Server.HostKeyFile = `${dir}/cache/ssh_host_key`;
  return { dir, key, config };
}

Deno.test("dserver serves until stopped, answering with the handler it was given", async () => {
  const { dir, key, config } = await serverConfig();
  const stop = new AbortController();
  const out: string[] = [];
  let port = -1;
  const listening = Promise.withResolvers<void>();
  const run = runDserver(
    testSettings(),
    config,
    testDeps({
      uid: 1000,
      gid: 1000,
      env,
      stdout: (t) => out.push(t),
      signal: stop.signal,
      onListening: (p) => {
        port = p;
        listening.resolve();
      },
    }),
  );
  await listening.promise;
  const c = connect(port, { username: "alice", privateKey: key.private });
  await c.ready;
  assert.equal(await shellOutput(c.client, ""), "SERVER|testhost|ERROR|handler not wired\n");
  await c.closed;
  stop.abort();
  assert.equal(await run, 0);
  assert.equal(out[0], TEST_VERSION_LINE + "\n");
  assert.equal((await Deno.stat(config.Server.HostKeyFile)).mode! & 0o777, 0o600);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("dserver logs each permission rule whose regex does not compile once it listens", async () => {
  const { dir, config } = await serverConfig();
  config.Server.Permissions = {
    Default: ["^/var/log/", "readfiles:x("],
    Users: { bob: ["(?<=a)b"] },
  };
  const stop = new AbortController();
  const out: string[] = [];
  const run = runDserver(
    testSettings({ logger: "stdout" }),
    config,
    testDeps({ uid: 1000, gid: 1000, env, stdout: (t) => out.push(t), signal: stop.signal }),
  );
  const warned = () => out.filter((line) => line.includes("has a bad regex"));
  for (let waited = 0; warned().length < 2 && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop.abort();
  assert.equal(await run, 0);
  const lines = warned();
  assert.equal(lines.length, 2, out.join(""));
  assert.match(
    lines[0]!,
    /WARN.*Server\.Permissions\.Default\[1\] rule "readfiles:x\(" has a bad regex/,
  );
  assert.match(lines[1]!, /WARN.*Server\.Permissions\.Users\.bob\[0\] rule "\(\?<=a\)b" has a bad/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--shutdownAfter stops the server after that many seconds", async () => {
  const { dir, config } = await serverConfig();
  const started = Date.now();
  const code = await runDserver(
    testSettings({ shutdownAfter: 1 }),
    config,
    testDeps({ uid: 1000, gid: 1000, env, stdout: () => {} }),
  );
  assert.equal(code, 0);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 5000, `${took} ms`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a port that cannot be bound makes dserver exit 1", async () => {
  const { dir, config } = await serverConfig();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const err: string[] = [];
  const code = await runDserver(
    testSettings({ port: busy.addr.port }),
    config,
    testDeps({ uid: 1000, gid: 1000, env, stdout: () => {}, stderr: (t) => err.push(t) }),
  );
  busy.close();
  assert.equal(code, 1);
  assert.match(err[0] ?? "", /^dserver: cannot start: 127\.0\.0\.1:\d+: the port is in use/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an address that is not this machine's is named so", async () => {
  const { dir, config } = await serverConfig();
  const err: string[] = [];
  const code = await runDserver(
    testSettings({ bindAddress: "192.0.2.1", port: 0 }), // TEST-NET-1: on no interface
    config,
    testDeps({ uid: 1000, gid: 1000, env, stdout: () => {}, stderr: (t) => err.push(t) }),
  );
  assert.equal(code, 1);
  assert.match(
    err[0] ?? "",
    /^dserver: cannot start: 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("listenProblem says why in words, and keeps other errors as they are", () => {
  const coded = (code: string) => Object.assign(new Error("x"), { code });
  assert.match(listenProblem(coded("EACCES"), "0.0.0.0", 22), /ports below 1024/);
  assert.match(listenProblem(coded("ENOTFOUND"), "no.example", 1), /cannot resolve no\.example/);
  assert.equal(listenProblem(new Error("odd"), "a", 1), "odd");
});
