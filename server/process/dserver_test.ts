import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { Flags, parseFlags } from "../../app/flags.ts";
import { versionLine } from "../../app/version.ts";
import { dserverSettings, refuseRoot, ROOT_MESSAGE, runDserver } from "./dserver.ts";
import { connect, genKey, shellOutput } from "../ssh/_test_ssh.ts";

const flags = (...args: string[]) => new Flags(parseFlags("dserver", args));
const env = (name: string) => name === "DTAIL_HOSTNAME_OVERRIDE" ? "testhost" : undefined;

Deno.test("dserver refuses to run with uid or gid 0", async () => {
  assert.equal(refuseRoot(0, 1000), ROOT_MESSAGE);
  assert.equal(refuseRoot(1000, 0), ROOT_MESSAGE);
  assert.equal(refuseRoot(1000, 1000), null);
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDserver(flags(), defaultConfig(() => undefined), {
    uid: 0,
    gid: 0,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  assert.equal(code, 1);
  assert.deepEqual(out, []);
  assert.deepEqual(err, [
    "dserver: refusing to run as root; start it as an unprivileged user\n",
  ]);
});

Deno.test("flags override the config as in Go: port only when not 2222, logger always", () => {
  const config = defaultConfig(() => undefined);
  config.Common.SSHPort = 2300;
  config.Common.LogLevel = "warn";
  config.Common.LogDir = "/var/log/dserver";
  config.Common.Logger = "stdout";
  config.Server.SSHBindAddress = "10.0.0.1";
  assert.deepEqual(dserverSettings(flags(), config), {
    port: 2300,
    bindAddress: "10.0.0.1",
    logger: "file",
    logLevel: "warn",
    logDir: "/var/log/dserver",
    shutdownAfter: 0,
  });
  assert.deepEqual(
    dserverSettings(
      flags(
        "--port=2400",
        "-bindAddress",
        "127.0.0.1",
        "--logLevel",
        "debug",
        "--logDir",
        "/tmp/l",
        "--logger",
        "none",
        "--shutdownAfter",
        "5",
      ),
      config,
    ),
    {
      port: 2400,
      bindAddress: "127.0.0.1",
      logger: "none",
      logLevel: "debug",
      logDir: "/tmp/l",
      shutdownAfter: 5,
    },
  );
  assert.equal(dserverSettings(flags("--port", "2222"), config).port, 2300);
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

Deno.test("dserver serves until stopped, answering with the not-wired handler", async () => {
  const { dir, key, config } = await serverConfig();
  const stop = new AbortController();
  const out: string[] = [];
  let port = -1;
  const listening = Promise.withResolvers<void>();
  const run = runDserver(
    flags("--port", "0", "--bindAddress", "127.0.0.1", "--logger", "none"),
    config,
    {
      uid: 1000,
      gid: 1000,
      env,
      stdout: (t) => out.push(t),
      signal: stop.signal,
      onListening: (p) => {
        port = p;
        listening.resolve();
      },
    },
  );
  await listening.promise;
  const c = connect(port, { username: "alice", privateKey: key.private });
  await c.ready;
  assert.equal(await shellOutput(c.client, ""), "SERVER|testhost|ERROR|handler not wired\n");
  await c.closed;
  stop.abort();
  assert.equal(await run, 0);
  assert.equal(out[0], versionLine() + "\n");
  assert.equal((await Deno.stat(config.Server.HostKeyFile)).mode! & 0o777, 0o600);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--shutdownAfter stops the server after that many seconds", async () => {
  const { dir, config } = await serverConfig();
  const started = Date.now();
  const code = await runDserver(
    flags("--port", "0", "--bindAddress", "127.0.0.1", "--logger", "none", "--shutdownAfter", "1"),
    config,
    { uid: 1000, gid: 1000, env, stdout: () => {} },
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
    flags("--port", String(busy.addr.port), "--bindAddress", "127.0.0.1", "--logger", "none"),
    config,
    { uid: 1000, gid: 1000, env, stdout: () => {}, stderr: (t) => err.push(t) },
  );
  busy.close();
  assert.equal(code, 1);
  assert.match(err[0] ?? "", /^dserver: cannot start: /);
  await Deno.remove(dir, { recursive: true });
});
