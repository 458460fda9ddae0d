import assert from "node:assert/strict";
import { defaultConfig } from "../core/config.ts";
import { UsageError } from "../core/errors.ts";
import type { Program } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import {
  clientSettings,
  connectionOf,
  controlTerminalOf,
  dserverSettings,
  healthSettings,
  loadMatcher,
  querySettings,
  type SettingsEnv,
  targetsOf,
} from "./settings.ts";

await loadMatcher();

const flags = (program: Program, ...args: string[]) => new Flags(parseFlags(program, args));
const env = (vars: Record<string, string> = {}, noColor = false): SettingsEnv => ({
  noColor,
  get: (name) => vars[name],
});

Deno.test("dserver flags override dtail.json as in Go: port only when not 2222, logger always", () => {
  const config = defaultConfig(() => undefined);
  config.Common.SSHPort = 2300;
  config.Common.LogLevel = "warn";
  config.Common.LogDir = "/var/log/dserver";
  config.Common.Logger = "stdout";
  config.Server.SSHBindAddress = "10.0.0.1";
  assert.deepEqual(dserverSettings(flags("dserver"), config), {
    port: 2300,
    bindAddress: "10.0.0.1",
    logger: "file",
    logLevel: "warn",
    logDir: "/var/log/dserver",
    shutdownAfter: 0,
  });
  const given = flags(
    "dserver",
    ...["--port=2400", "-bindAddress", "127.0.0.1", "--logLevel", "debug", "--logDir", "/tmp/l"],
    ...["--logger", "none", "--shutdownAfter", "5"],
  );
  assert.deepEqual(dserverSettings(given, config), {
    port: 2400,
    bindAddress: "127.0.0.1",
    logger: "none",
    logLevel: "debug",
    logDir: "/tmp/l",
    shutdownAfter: 5,
  });
  assert.equal(dserverSettings(flags("dserver", "--port", "2222"), config).port, 2300);
  assert.equal(dserverSettings(flags("dserver", "--logLevel", "INFO"), config).logLevel, "warn");
  assert.equal(
    dserverSettings(flags("dserver", "--logDir", ""), config).logDir,
    "/var/log/dserver",
  );
});

Deno.test("a client's --port wins over Common.SSHPort whenever it is given", () => {
  const config = defaultConfig(() => undefined);
  config.Common.SSHPort = 2300;
  const port = (...args: string[]) =>
    connectionOf(flags("dgrep", ...args), config, env()).defaultPort;
  assert.equal(port(), 2300);
  assert.equal(port("--port", "2400"), 2400);
  assert.equal(port("--port", "2222"), 2222);
});

Deno.test("--no-auth-key and --noColor only add to what dtail.json says", () => {
  const config = defaultConfig(() => undefined);
  const noAuthKey = (...args: string[]) =>
    connectionOf(flags("dcat", ...args), config, env()).noAuthKey;
  assert.equal(noAuthKey(), false);
  assert.equal(noAuthKey("--no-auth-key"), true);
  config.Client.AuthKeyDisable = true;
  assert.equal(noAuthKey("--no-auth-key=false"), true);

  const color = (e: SettingsEnv, ...args: string[]) => {
    const s = clientSettings("dcat", flags("dcat", ...args, "f.log"), config, e);
    assert.ok(!s.remote);
    return s.job.frame.color;
  };
  assert.equal(color(env()), true);
  assert.equal(color(env(), "--noColor"), false);
  assert.equal(color(env(), "--plain"), false);
  assert.equal(color(env({}, true)), false, "NO_COLOR");
  config.Client.TermColorsEnable = false;
  assert.equal(color(env(), "--noColor=false"), false);
});

Deno.test("the SSH user is --user, else $USER, else $LOGNAME, else root", () => {
  const config = defaultConfig(() => undefined);
  const user = (vars: Record<string, string>, ...args: string[]) =>
    connectionOf(flags("dcat", ...args), config, env(vars)).user;
  assert.equal(user({ USER: "u", LOGNAME: "l" }, "--user", "x"), "x");
  assert.equal(user({ USER: "u", LOGNAME: "l" }), "u");
  assert.equal(user({ LOGNAME: "l" }), "l");
  assert.equal(user({}), "root");
});

Deno.test("dtailhealth checks servers without a port on the --port default", () => {
  assert.deepEqual(healthSettings(flags("dtailhealth", "--server", "h")), {
    server: "h",
    defaultPort: 2222,
  });
});

Deno.test("client settings are serverless without servers, remote with them", () => {
  const config = defaultConfig(() => undefined);
  const local = clientSettings("dgrep", flags("dgrep", "--grep", "x", "a.log"), config, env());
  assert.ok(!local.remote);
  assert.deepEqual(local.job.targets, ["a.log"]);
  assert.deepEqual(local.stopAfterSeconds, []);
  const remote = clientSettings(
    "dtail",
    flags("dtail", "--servers", "h1,h2", "--timeout", "5", "--quiet", "a.log"),
    config,
    env({ USER: "u" }),
  );
  assert.ok(remote.remote);
  assert.equal(remote.run.verb, "tail");
  assert.equal(remote.run.quiet, true);
  assert.equal(remote.connection.servers, "h1,h2");
  assert.equal(remote.connection.user, "u");
  assert.deepEqual(remote.stopAfterSeconds, [5, 86400]);
});

Deno.test("dtail --resume FILE goes into the serverless job and the remote run", () => {
  const config = defaultConfig(() => undefined);
  config.Server.ResumeMaxGapBytes = 4096;
  const local = clientSettings(
    "dtail",
    flags("dtail", "--resume", "s.json", "a.log"),
    config,
    env(),
  );
  assert.ok(!local.remote);
  assert.deepEqual(local.job.resume, { file: "s.json", maxGapBytes: 4096 });
  const remote = clientSettings(
    "dtail",
    flags("dtail", "--resume=s.json", "--servers", "h", "a.log"),
    config,
    env(),
  );
  assert.ok(remote.remote);
  assert.deepEqual(remote.run.resume, { file: "s.json", maxGapBytes: 4096 });
  const without = clientSettings("dtail", flags("dtail", "a.log"), config, env());
  assert.ok(!without.remote);
  assert.equal(without.job.resume, undefined);
});

Deno.test("--resume is refused where there are no positions: stdin, a query, interactive runs", () => {
  const config = defaultConfig(() => undefined);
  const client = (...args: string[]) => () =>
    clientSettings("dtail", flags("dtail", "--resume", "s.json", ...args), config, env());
  assert.throws(client(), /--resume needs files to follow/);
  assert.throws(client("-"), /--resume needs files to follow/);
  assert.throws(client("--interactive-query", "a.log"), /--resume cannot be used with --inter/);
  const f = flags("dtail", "--resume", "s.json", "select count(*)", "a.log");
  assert.throws(
    () => querySettings("dtail", f, config, env(), targetsOf(f)),
    /--resume cannot be used with a query/,
  );
  for (const err of [client(), client("-")]) assert.throws(err, UsageError);
  assert.throws(() => flags("dcat", "--resume", "s.json"), UsageError); // dtail's flag only
});

Deno.test("--interactive-query names its control terminal, /dev/tty by default", () => {
  assert.equal(controlTerminalOf(flags("dcat", "a.log")), null);
  assert.equal(controlTerminalOf(flags("dgrep", "--interactive-query", "a.log")), "/dev/tty");
  assert.equal(
    controlTerminalOf(flags("dmap", "--interactive-query", "--control-tty", "/dev/pts/9")),
    "/dev/pts/9",
  );
});

Deno.test("settings reject what cannot run, with the kind of error that says why", () => {
  const config = defaultConfig(() => undefined);
  const client = (program: Program, ...args: string[]) => () =>
    clientSettings(program, flags(program, ...args), config, env());
  assert.throws(client("dgrep", "--servers", "h"), UsageError);
  assert.throws(client("dgrep", "--max", "-1"), /-max must not be negative/);
  assert.throws(client("dcat", "select x"), /dcat takes no query/);
  assert.throws(
    () => controlTerminalOf(flags("dcat", "--interactive-query", "--control-tty", "")),
    UsageError,
  );
  assert.throws(() => targetsOf(flags("dcat", "a.log", "--plain")), UsageError);
  const query = (...args: string[]) => () => {
    const f = flags("dmap", ...args);
    return querySettings("dmap", f, config, env(), targetsOf(f));
  };
  assert.throws(query("a.log"), /no query given/);
  assert.throws(query("--servers", "h", "select count(*)"), /no files given/);
  assert.equal(query("select count(*)", "a.log")().connection, null);
});

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function typeCheck(source: string): Promise<{ ok: boolean; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail_flag_names_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, source);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", `${ROOT}/deno.json`, `${dir}/probe.ts`],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { ok: out.success, output: decode(out.stdout) + decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a misspelt flag name does not type-check", async () => {
  const probe = (grep: string, values: string) =>
    [
      `import { Flags, parseFlags } from "${ROOT}/app/flags.ts";`,
      `const flags = new Flags(parseFlags("dgrep", []));`,
      `export const pattern: string = flags.str("${grep}");`,
      `export const max: number | undefined = flags.parsed.values.${values};`,
      "",
    ].join("\n");
  const good = await typeCheck(probe("grep", "max"));
  assert.ok(good.ok, good.output);
  const bad = await typeCheck(probe("gerp", "maxx"));
  assert.ok(!bad.ok, "the misspelt names type-checked");
  assert.match(bad.output, /"gerp"/);
  assert.match(bad.output, /maxx/);
  const wrongType = await typeCheck(probe("max", "max"));
  assert.ok(!wrongType.ok, "an int flag read as a string type-checked");
});
