import assert from "node:assert/strict";
import {
  ConfigError,
  configFromText,
  defaultConfig,
  findConfigFile,
  loadConfig,
  parseJob,
} from "./config.ts";
import { DEFAULT_TERM_COLORS } from "./color.ts";

type Env = Record<string, string>;
const envOf = (vars: Env) => (name: string): string | undefined => vars[name];

async function withHome(fn: (home: string) => Promise<void> | void): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "config_test_" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function writeConfig(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, typeof value === "string" ? value : JSON.stringify(value));
}

function assertConfigError(fn: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `got ${err}`);
    for (const p of parts) {
      if (typeof p === "string") assert.ok(err.message.includes(p), err.message);
      else assert.match(err.message, p);
    }
    return true;
  });
}

Deno.test("defaultConfig has the docs/compatibility.md#configuration defaults", () => {
  const c = defaultConfig(envOf({}));
  assert.equal(c.Common.SSHPort, 2222);
  assert.equal(c.Common.SSHConnectTimeoutMs, 2000);
  assert.equal(c.Common.LogLevel, "info");
  assert.equal(c.Server.MaxLineLength, 1_048_576);
  assert.equal(c.Server.MaxConcurrentCats, 2);
  assert.equal(c.Server.MaxConcurrentTails, 50);
  assert.equal(c.Server.MaxGlobTargets, 1000);
  assert.deepEqual(c.Server.Permissions, { Default: ["^/.*"], Users: {} });
  assert.equal(c.Server.HostKeyFile, "./cache/ssh_host_key");
  assert.equal(c.Client.TermColorsEnable, true);
  assert.deepEqual(c.Client.TermColors, DEFAULT_TERM_COLORS);
  assert.equal(c.source, "");
});

Deno.test("defaultConfig in integration-test mode uses MaxLineLength 1024", () => {
  const c = defaultConfig(envOf({ DTAIL_INTEGRATION_TEST_RUN_MODE: "yes" }));
  assert.equal(c.Server.MaxLineLength, 1024);
  assert.equal(c.Server.HostKeyFile, "./ssh_host_key");
  assert.equal(
    defaultConfig(envOf({ DTAIL_INTEGRATION_TEST_RUN_MODE: "no" })).Server.MaxLineLength,
    1_048_576,
  );
});

Deno.test("defaultConfig gives each call its own colors", () => {
  const a = defaultConfig(envOf({}));
  a.Client.TermColors.Remote.Text = { fg: "Red", bg: "Red", attr: "None" };
  assert.deepEqual(defaultConfig(envOf({})).Client.TermColors, DEFAULT_TERM_COLORS);
  assert.equal(DEFAULT_TERM_COLORS.Remote.Text.fg, "White");
});

Deno.test("--cfg none loads nothing, in any case, even when a home config exists", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, { Common: { SSHPort: 1 } });
    for (const flag of ["none", "NONE", "None"]) {
      const c = loadConfig(flag, envOf({ HOME: home }));
      assert.equal(c.Common.SSHPort, 2222);
      assert.equal(c.source, "");
    }
  });
});

Deno.test("--cfg PATH loads that file", async () => {
  await withHome(async (home) => {
    const path = `${home}/custom.json`;
    await writeConfig(path, { Server: { MaxConcurrentCats: 7 } });
    const c = loadConfig(path, envOf({ HOME: `${home}/elsewhere` }));
    assert.equal(c.Server.MaxConcurrentCats, 7);
    assert.equal(c.source, path);
  });
});

Deno.test("the search prefers ~/.config/dtail/dtail.conf over ~/.dtail.conf", async () => {
  await withHome(async (home) => {
    assert.equal(findConfigFile("", home), null);
    await writeConfig(`${home}/.dtail.conf`, { Common: { SSHPort: 2 } });
    assert.equal(loadConfig("", envOf({ HOME: home })).Common.SSHPort, 2);
    await writeConfig(`${home}/.config/dtail/dtail.conf`, { Common: { SSHPort: 1 } });
    const c = loadConfig("", envOf({ HOME: home }));
    assert.equal(c.Common.SSHPort, 1);
    assert.equal(c.source, `${home}/.config/dtail/dtail.conf`);
  });
});

Deno.test("without HOME and --cfg the defaults are used", () => {
  assert.equal(findConfigFile("", undefined), null);
  assert.equal(loadConfig("", envOf({})).source, "");
});

Deno.test("config keys match case-insensitively and unknown keys are ignored", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, {
      common: { sshport: 2223, LOGLEVEL: "debug", ExperimentalFeaturesEnable: true },
      SERVER: {
        maxlinelength: 100,
        permissions: { users: { bob: ["^/tmp"] } },
      },
      Client: { termcolors: { remote: { text: { FG: "Red", bg: "Black", Attr: "Bold" } } } },
      Unknown: { x: 1 },
      source: "ignored",
    });
    const c = loadConfig("", envOf({ HOME: home }));
    assert.equal(c.Common.SSHPort, 2223);
    assert.equal(c.Common.LogLevel, "debug");
    assert.equal(c.Server.MaxLineLength, 100);
    assert.deepEqual(c.Server.Permissions, { Default: ["^/.*"], Users: { bob: ["^/tmp"] } });
    assert.deepEqual(c.Client.TermColors.Remote.Text, { fg: "Red", bg: "Black", attr: "Bold" });
    assert.deepEqual(c.Client.TermColors.Remote.ID, DEFAULT_TERM_COLORS.Remote.ID);
    assert.equal(c.source, `${home}/.dtail.conf`);
  });
});

Deno.test("term colors are read in the Go config's flat form too (DelimiterFg)", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, {
      Client: {
        TermColors: {
          Remote: {
            DelimiterFg: "Red",
            delimiterbg: "Green",
            DelimiterAttr: "Bold",
            NoSuchFg: "Red",
          },
          MaprTable: { HeaderSortKeyAttr: "Underline" },
        },
      },
    });
    const c = loadConfig("", envOf({ HOME: home }));
    assert.deepEqual(c.Client.TermColors.Remote.Delimiter, {
      fg: "Red",
      bg: "Green",
      attr: "Bold",
    });
    assert.deepEqual(c.Client.TermColors.Remote.Text, DEFAULT_TERM_COLORS.Remote.Text);
    assert.deepEqual(c.Client.TermColors.MaprTable, DEFAULT_TERM_COLORS.MaprTable);
    await writeConfig(`${home}/.dtail.conf`, {
      Client: { TermColors: { Remote: { TextFg: "Purple" } } },
    });
    assertConfigError(
      () => loadConfig("", envOf({ HOME: home })),
      "Client.TermColors.Remote.Text.fg must be one of",
      '"Purple"',
    );
    await writeConfig(`${home}/.dtail.conf`, { Client: { TermColors: { Remote: { TextFg: 3 } } } });
    assertConfigError(
      () => loadConfig("", envOf({ HOME: home })),
      "Client.TermColors.Remote.TextFg must be a string, got 3",
    );
  });
});

Deno.test("a timeout a timer cannot wait for (0, negative, over 32 bits) is a config error", async () => {
  await withHome(async (home) => {
    const cases = [
      [{ Server: { PreAuthTimeoutMs: 3_000_000_000 } }, "Server.PreAuthTimeoutMs", 3_000_000_000],
      [{ Common: { SSHConnectTimeoutMs: 3_000_000_000 } }, "Common.SSHConnectTimeoutMs", 3e9],
      [{ Common: { SSHConnectTimeoutMs: 0 } }, "Common.SSHConnectTimeoutMs", 0],
      [{ Common: { SSHConnectTimeoutMs: -5 } }, "Common.SSHConnectTimeoutMs", -5],
    ] as const;
    for (const [config, key, got] of cases) {
      await writeConfig(`${home}/.dtail.conf`, config);
      assertConfigError(
        () => loadConfig("", envOf({ HOME: home })),
        `${key} must be from 1 to 2147483647 (~24.8 days), got ${got}`,
      );
    }
  });
});

Deno.test("Client.SSHKeepaliveIntervalMs is 15 s by default, 0 turns it off, negative is an error", async () => {
  await withHome(async (home) => {
    assert.equal(loadConfig("", envOf({ HOME: home })).Client.SSHKeepaliveIntervalMs, 15_000);
    await writeConfig(`${home}/.dtail.conf`, { Client: { SSHKeepaliveIntervalMs: 0 } });
    assert.equal(loadConfig("", envOf({ HOME: home })).Client.SSHKeepaliveIntervalMs, 0);
    await writeConfig(`${home}/.dtail.conf`, { Client: { SSHKeepaliveIntervalMs: -1 } });
    assertConfigError(
      () => loadConfig("", envOf({ HOME: home })),
      "Client.SSHKeepaliveIntervalMs must be from 0 (none) to 2147483647, got -1",
    );
  });
});

Deno.test("a number too big for JSON's doubles is quoted as Infinity, not null", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, '{"Server": {"MaxLineLength": 1e309}}');
    assertConfigError(
      () => loadConfig("", envOf({ HOME: home })),
      "Server.MaxLineLength must be an integer, got Infinity",
    );
  });
});

Deno.test("integration-test mode forces MaxLineLength 1024 over the config", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, { Server: { MaxLineLength: 5000 } });
    const c = loadConfig("", envOf({ HOME: home, DTAIL_INTEGRATION_TEST_RUN_MODE: "yes" }));
    assert.equal(c.Server.MaxLineLength, 1024);
  });
});

Deno.test("a value of the wrong type is a ConfigError naming the key path", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    const cases: [unknown, string][] = [
      [{ Common: { SSHPort: "2222" } }, "Common.SSHPort"],
      [{ Common: { SSHPort: 1.5 } }, "Common.SSHPort"],
      [{ server: { maxlinelength: true } }, "Server.MaxLineLength"],
      [{ Client: { TermColorsEnable: "yes" } }, "Client.TermColorsEnable"],
      [{ Server: { Permissions: { Default: "^/" } } }, "Server.Permissions.Default"],
      [{ Server: { Permissions: { Users: { bob: "^/" } } } }, "Server.Permissions.Users"],
      [{ Server: { KeyExchanges: [1] } }, "Server.KeyExchanges"],
      [{ Client: { TermColors: { Remote: "red" } } }, "Client.TermColors.Remote"],
      [{ Common: { LogDir: 5 } }, "Common.LogDir"],
      [{ Server: 5 }, "Server"],
    ];
    for (const [json, key] of cases) {
      await writeConfig(path, json);
      assertConfigError(() => loadConfig(path, envOf({})), `${key} must be`, path);
    }
  });
});

Deno.test("invalid JSON or a non-object top level is a ConfigError", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    await writeConfig(path, "{ Common: ");
    assertConfigError(() => loadConfig(path, envOf({})), "not valid JSON", path);
    await writeConfig(path, "[1, 2]");
    assertConfigError(() => loadConfig(path, envOf({})), "top level must be an object");
  });
});

Deno.test("an unreadable --cfg file is a ConfigError saying why in words, not the OS's text", async () => {
  await withHome((home) => {
    assertConfigError(
      () => loadConfig(`${home}/missing.json`, envOf({})),
      /^cannot read config .*\/missing\.json: no such file or directory$/,
    );
    assertConfigError(() => loadConfig(home, envOf({})), /^cannot read config .*: is a directory$/);
  });
});

Deno.test("a null config value keeps the default, as Go's decoder does", async () => {
  await withHome(async (home) => {
    await writeConfig(`${home}/.dtail.conf`, {
      Server: { MaxLineLength: null, MaxGlobTargets: 7 },
    });
    const c = loadConfig("", envOf({ HOME: home }));
    assert.equal(c.Server.MaxLineLength, 1_048_576);
    assert.equal(c.Server.MaxGlobTargets, 7);
  });
});

Deno.test("a limit below its minimum is a ConfigError naming the key (issue item 9)", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    const cases: [Record<string, number>, string][] = [
      [{ MaxGlobTargets: -1 }, "Server.MaxGlobTargets must be at least 1, got -1"],
      [{ maxglobtargets: 0 }, "Server.MaxGlobTargets must be at least 1, got 0"],
      [{ MaxGlobDirs: 0 }, "Server.MaxGlobDirs must be at least 1"],
      [{ MaxConnections: 0 }, "Server.MaxConnections must be at least 1"],
      [{ MaxPreAuthConnections: -5 }, "Server.MaxPreAuthConnections must be at least 1"],
      [{ PreAuthTimeoutMs: 0 }, "Server.PreAuthTimeoutMs must be at least 1"],
      [{ ReadStallTimeoutSeconds: 0 }, "Server.ReadStallTimeoutSeconds must be at least 1"],
      [{ UserCacheTTLSeconds: -1 }, "Server.UserCacheTTLSeconds must be 0 or more, got -1"],
      [{ MaxConcurrentCats: 0 }, "Server.MaxConcurrentCats must be at least 1"],
      [{ MaxConcurrentTails: -1 }, "Server.MaxConcurrentTails must be at least 1"],
      [{ MaxLineLength: 0 }, "Server.MaxLineLength must be at least 1"],
      [{ MaxCommandFrameSize: 0 }, "Server.MaxCommandFrameSize must be at least 1"],
      [{ ResumeMaxGapBytes: 0 }, "Server.ResumeMaxGapBytes must be at least 1"],
    ];
    for (const [server, message] of cases) {
      await writeConfig(path, { Server: server });
      assertConfigError(() => loadConfig(path, envOf({})), message, path);
    }
  });
});

Deno.test("Common.SSHPort out of range is a ConfigError, not a failure to listen later", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    for (const port of [0, 65536, 99999, -1]) {
      await writeConfig(path, { Common: { SSHPort: port } });
      const message = `Common.SSHPort must be a port from 1 to 65535, got ${port}`;
      assertConfigError(() => loadConfig(path, envOf({})), message, path);
    }
    await writeConfig(path, { Common: { SSHPort: 65535 } });
    assert.equal(loadConfig(path, envOf({})).Common.SSHPort, 65535);
  });
});

Deno.test("the smallest allowed limits load, and a user cache TTL of 0 turns it off", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    const server = {
      MaxGlobTargets: 1,
      MaxGlobDirs: 1,
      MaxConnections: 1,
      MaxPreAuthConnections: 1,
      PreAuthTimeoutMs: 1,
      ReadStallTimeoutSeconds: 1,
      UserCacheTTLSeconds: 0,
      MaxConcurrentCats: 1,
      MaxConcurrentTails: 1,
      MaxLineLength: 1,
      MaxCommandFrameSize: 1,
    };
    await writeConfig(path, { Server: server });
    const c = loadConfig(path, envOf({}));
    for (const [key, value] of Object.entries(server)) {
      assert.equal(c.Server[key as keyof typeof server], value, key);
    }
  });
});

Deno.test("an unknown Client.TermColors name is a ConfigError naming the key and the names", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    await writeConfig(path, { Client: { TermColors: { Remote: { Text: { Fg: "purple" } } } } });
    assertConfigError(
      () => loadConfig(path, envOf({})),
      path,
      "Client.TermColors.Remote.Text.fg must be one of black, red, green, yellow, blue, " +
        'magenta, cyan, white, default, got "purple"',
    );
    await writeConfig(path, { Client: { TermColors: { MaprTable: { Header: { bg: "Gray" } } } } });
    assertConfigError(() => loadConfig(path, envOf({})), "Client.TermColors.MaprTable.Header.bg");
    await writeConfig(path, {
      Client: { TermColors: { Common: { SeverityWarn: { Attr: "Red" } } } },
    });
    assertConfigError(
      () => loadConfig(path, envOf({})),
      "Client.TermColors.Common.SeverityWarn.attr must be one of none, bold, dim, italic",
    );
    // Also with colors off: the config is wrong whether or not it is used now.
    await writeConfig(path, {
      Client: { TermColorsEnable: false, TermColors: { Client: { Text: { fg: "" } } } },
    });
    assertConfigError(() => loadConfig(path, envOf({})), "Client.TermColors.Client.Text.fg");
    await writeConfig(path, {
      Client: { TermColors: { Remote: { Text: { fg: "RED", bg: "bgBlue", attr: "underline" } } } },
    });
    assert.deepEqual(loadConfig(path, envOf({})).Client.TermColors.Remote.Text, {
      fg: "RED",
      bg: "bgBlue",
      attr: "underline",
    });
  });
});

Deno.test("Schedule and Continuous entries are read with their keys matched case-insensitively", async () => {
  await withHome(async (home) => {
    const path = `${home}/c.json`;
    await writeConfig(path, {
      Server: {
        schedule: [{
          name: "daily",
          ENABLE: true,
          Files: "/a,/b",
          Query: "select count($line)",
          Outfile: "/o.csv",
          Servers: ["h1:2222"],
          TimeRange: [1, 5],
          Unknown: 1,
        }],
        Continuous: [{ Name: "live", RestartOnDayChange: true, AllowFrom: ["localhost"] }],
      },
    });
    const c = loadConfig(path, envOf({}));
    assert.equal(c.Server.Schedule.length, 1);
    const s = c.Server.Schedule[0]!;
    assert.deepEqual(
      [s.Name, s.Enable, s.Files, s.Servers, s.TimeRange, s.problem],
      ["daily", true, "/a,/b", ["h1:2222"], [1, 5], ""],
    );
    const live = c.Server.Continuous[0]!;
    assert.deepEqual([live.Name, live.Enable, live.RestartOnDayChange], ["live", false, true]);
    assert.deepEqual(defaultConfig(envOf({})).Server.Schedule, []);
  });
});

Deno.test("a job field of the wrong type is that job's problem, not a config error", () => {
  assert.equal(
    parseJob({ Name: "x", Enable: "yes" }).problem,
    'Enable must be true or false, got "yes"',
  );
  assert.equal(
    parseJob({ Name: "x", TimeRange: ["1", 2] }).problem,
    'TimeRange must be a list of numbers, got ["1",2]',
  );
  assert.equal(
    parseJob({ Name: "x", Servers: "h1" }).problem,
    'Servers must be a list of strings, got "h1"',
  );
  assert.equal(parseJob({ Name: 5 }).problem, "Name must be a string, got 5");
  assert.equal(parseJob("x").problem, 'must be an object, got "x"');
  assert.equal(parseJob({ Name: "x", Files: null }).problem, "");
});

Deno.test("a flat color key inside a style names no item and is ignored, as unknown keys are", () => {
  const text = JSON.stringify({
    Client: { TermColors: { Remote: { Text: { Fg: "White", BgBg: "Black", attrFG: "x" } } } },
  });
  const c = configFromText(text, "dtail.json", () => undefined);
  assert.deepEqual(c.Client.TermColors.Remote.Text, {
    ...DEFAULT_TERM_COLORS.Remote.Text,
    fg: "White",
  });
});
