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
  loadTimeSpec,
  querySettings,
  type SettingsEnv,
  targetsOf,
  timeRangeOf,
} from "./settings.ts";
import { TimeSpecError } from "../core/time_spec.ts";

await loadMatcher();
await loadTimeSpec();

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

Deno.test("--json goes into the serverless job, the remote run and the query job, without colors", () => {
  const config = defaultConfig(() => undefined);
  const local = clientSettings(
    "dgrep",
    flags("dgrep", "--json", "--grep", "x", "a.log"),
    config,
    env(),
  );
  assert.ok(!local.remote);
  assert.equal(local.job.json, true);
  assert.equal(local.job.frame.color, false, "--json implies --noColor");
  assert.equal(local.job.filter.numbered, true, "line objects carry line numbers");
  const plainJob = clientSettings("dcat", flags("dcat", "a.log"), config, env());
  assert.ok(!plainJob.remote);
  assert.equal(plainJob.job.json, false);
  const remote = clientSettings(
    "dcat",
    flags("dcat", "--json", "--servers", "h", "a.log"),
    config,
    env(),
  );
  assert.ok(remote.remote);
  assert.equal(remote.run.json, true);
  assert.equal(remote.run.plain, false, "servers send labelled lines: host, source, lineno");
  assert.equal(remote.run.color, false);
  const f = flags("dmap", "--json", "select count(*)", "a.log");
  const q = querySettings("dmap", f, config, env(), targetsOf(f));
  assert.equal(q.job.json, true);
  assert.equal(q.job.color, false);
});

Deno.test("--json is refused with --plain and with --interactive-query", () => {
  const config = defaultConfig(() => undefined);
  const client = (program: Program, ...args: string[]) => () =>
    clientSettings(program, flags(program, ...args), config, env());
  for (const program of ["dcat", "dgrep", "dtail"] as const) {
    assert.throws(client(program, "--json", "--plain", "a.log"), UsageError);
    assert.throws(
      client(program, "--plain", "--json", "a.log"),
      /--json cannot be used with --plain/,
    );
    assert.throws(
      client(program, "--json", "--interactive-query", "a.log"),
      /--json cannot be used with --interactive-query/,
    );
  }
  assert.doesNotThrow(client("dcat", "--json", "--plain=false", "a.log"));
  const f = flags("dtail", "--json", "--plain", "select count(*)", "a.log");
  assert.throws(() => querySettings("dtail", f, config, env(), targetsOf(f)), /with --plain/);
  assert.throws(() => flags("dserver", "--json"), UsageError); // a client flag only
});

Deno.test("--since and --until resolve once into instants carried by every kind of run", () => {
  const config = defaultConfig(() => undefined);
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  assert.deepEqual(timeRangeOf("dcat", flags("dcat", "--since", "15m", "a.log"), now), {
    since: now - 15 * 60_000,
    until: Infinity,
  });
  assert.deepEqual(
    timeRangeOf("dgrep", flags("dgrep", "--until", "2026-12-03T10:00:00Z", "a.log"), now),
    { since: -Infinity, until: Date.UTC(2026, 11, 3, 10) },
  );
  assert.equal(timeRangeOf("dcat", flags("dcat", "a.log"), now), null);
  const local = clientSettings("dcat", flags("dcat", "--since", "1h", "a.log"), config, env());
  assert.ok(!local.remote);
  const since = local.job.filter.timeRange!.since;
  assert.ok(Math.abs(since - (Date.now() - 3_600_000)) < 60_000);
  assert.equal(local.job.filter.timeRange!.until, Infinity);
  const remote = clientSettings(
    "dgrep",
    flags("dgrep", "--servers", "h", "--since", "1h", "--until", "now", "a.log"),
    config,
    env(),
  );
  assert.ok(remote.remote);
  assert.ok(remote.run.timeRange!.since < remote.run.timeRange!.until);
  const f = flags("dmap", "--since", "2026-12-03", "select count(*)", "a.log");
  const q = querySettings("dmap", f, config, env(), targetsOf(f));
  assert.equal(q.job.timeRange!.until, Infinity);
  const none = clientSettings("dcat", flags("dcat", "a.log"), config, env());
  assert.ok(!none.remote);
  assert.equal(none.job.filter.timeRange, undefined, "no range: nothing to check per line");
});

Deno.test("bad --since/--until values, since after until and dtail --until are usage errors", () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  const range = (program: Program, ...args: string[]) => () =>
    timeRangeOf(program, flags(program, ...args, "a.log"), now);
  assert.throws(range("dcat", "--since", "15x"), /--since "15x": unknown unit "x"/);
  assert.throws(range("dcat", "--since", ""), TimeSpecError);
  assert.throws(range("dgrep", "--until", "yesterday"), UsageError);
  assert.throws(
    range("dmap", "--since", "1h", "--until", "2h"),
    /--since "1h" is after --until "2h"/,
  );
  assert.throws(range("dtail", "--until", "1h"), /--until cannot be used with dtail/);
  assert.doesNotThrow(range("dtail", "--since", "10m"));
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

Deno.test("--port out of range is a usage error; dserver alone takes 0 (any free port)", () => {
  const config = defaultConfig(() => undefined);
  const client = (port: string) => () => connectionOf(flags("dcat", "--port", port), config, env());
  assert.throws(client("70000"), /^UsageError: -port must be a port from 1 to 65535, got 70000$/);
  assert.throws(client("0"), /-port must be a port from 1 to 65535, got 0/);
  assert.throws(client("-5"), UsageError);
  assert.equal(connectionOf(flags("dcat", "--port", "65535"), config, env()).defaultPort, 65535);
  assert.throws(() => dserverSettings(flags("dserver", "--port", "65536"), config), UsageError);
  assert.equal(dserverSettings(flags("dserver", "--port", "0"), config).port, 0);
});
