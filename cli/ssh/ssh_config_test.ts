import assert from "node:assert/strict";
import { SetupError } from "../../core/errors.ts";
import {
  type JumpHost,
  loadSshConfig,
  NO_SSH_CONFIG,
  type ParseOptions,
  parseSshConfig,
  type SshConfig,
  SshConfigError,
  type SshHostConfig,
} from "./ssh_config.ts";
import { globSegmentMatcher, wildcardMatch } from "./ssh_config_match.ts";
import { hasCommand, run } from "./_test_keys.ts";

const ctx = { home: "/home/me", localUser: "me" };

function parse(text: string, opts: Partial<ParseOptions> = {}) {
  const warnings: string[] = [];
  const config = parseSshConfig(text, "cfg", {
    warn: (line) => warnings.push(line),
    home: ctx.home,
    ...opts,
  });
  return { config, warnings };
}

const DEFAULTS: Omit<SshHostConfig, "hostName"> = {
  port: null,
  user: null,
  identityFiles: [],
  identitiesOnly: null,
  userKnownHostsFiles: [],
  strictHostKeyChecking: null,
  proxyJump: null,
};

interface Case {
  name: string;
  text: string;
  /** alias → the fields expected to differ from the defaults. */
  want: Record<string, Partial<SshHostConfig>>;
  warnings?: string[];
}

function check(c: Case): void {
  const { config, warnings } = parse(c.text);
  for (const [alias, want] of Object.entries(c.want)) {
    assert.deepEqual(
      config.resolve(alias, ctx),
      { hostName: alias, ...DEFAULTS, ...want },
      `${c.name}: ${alias}`,
    );
  }
  assert.deepEqual(warnings, c.warnings ?? [], c.name);
}

const patternCases: Case[] = [
  {
    name: "* matches every alias",
    text: "Host *\n Port 1",
    want: { x: { port: 1 }, "a.b-c": { port: 1 } },
  },
  {
    name: "a prefix pattern matches the names it starts",
    text: "Host web*\n Port 1",
    want: { web1: { port: 1 }, web: { port: 1 }, db1: {} },
  },
  {
    name: "? matches exactly one character",
    text: "Host db?\n Port 1",
    want: { db1: { port: 1 }, db12: {}, db: {} },
  },
  {
    name: "* in the middle matches any run",
    text: "Host a*b*c\n Port 1",
    want: { aXbYc: { port: 1 }, abc: { port: 1 }, aXbY: {}, aXcYb: {} },
  },
  {
    name: "any of several patterns on one Host line selects the block",
    text: "Host a b\tc\n Port 1",
    want: { a: { port: 1 }, c: { port: 1 }, d: {} },
  },
  {
    name: "a negated match keeps the block out even when another pattern matches",
    text: "Host *.example.com !bad.example.com\n Port 1",
    want: { "good.example.com": { port: 1 }, "bad.example.com": {} },
  },
  {
    name: "negated patterns alone select nothing",
    text: "Host !foo\n Port 1",
    want: { bar: {}, foo: {} },
  },
  {
    name: "Host patterns are case-sensitive as in OpenSSH",
    text: "Host Web\n Port 1",
    want: { Web: { port: 1 }, web: {} },
  },
  {
    name: "a quoted pattern may hold a space",
    text: 'Host "a b"\n Port 1',
    want: { "a b": { port: 1 }, a: {} },
  },
  {
    name: "lines before the first Host apply to every alias",
    text: "Port 1\nHost web\n Port 2\n User w",
    want: { web: { port: 1, user: "w" }, db: { port: 1 } },
  },
];

const precedenceCases: Case[] = [
  {
    name: "the first value obtained wins",
    text: "Host web\n Port 1\n Port 3\nHost *\n Port 2\n User all",
    want: { web: { port: 1, user: "all" }, db: { port: 2, user: "all" } },
  },
  {
    name: "a Host * block before a specific one wins over it",
    text: "Host *\n User all\nHost web\n User w\n Port 1",
    want: { web: { user: "all", port: 1 } },
  },
  {
    name: "IdentityFile accumulates in order without duplicates",
    text: "Host web\n IdentityFile ~/a\nHost *\n IdentityFile ~/b\n IdentityFile /home/me/a",
    want: {
      web: { identityFiles: ["/home/me/a", "/home/me/b"] },
      db: { identityFiles: ["/home/me/b", "/home/me/a"] },
    },
  },
  {
    name: "the first UserKnownHostsFile line gives all its files",
    text: "UserKnownHostsFile ~/kh1 %d/kh2\nUserKnownHostsFile ~/kh3",
    want: { x: { userKnownHostsFiles: ["/home/me/kh1", "/home/me/kh2"] } },
  },
  {
    name: 'UserKnownHostsFile "none" is /dev/null',
    text: "UserKnownHostsFile none",
    want: { x: { userKnownHostsFiles: ["/dev/null"] } },
  },
  {
    name: "HostName expands %h to the alias and %% to %",
    text: "Host *.s\n HostName %h.example.com\nHost p\n HostName a%%b",
    want: { "db.s": { hostName: "db.s.example.com" }, p: { hostName: "a%b" } },
  },
  {
    name: "keywords are case-insensitive; = , tabs, comments and CRLF are understood",
    text: "# c\r\n\tHOST=web\r\n  port = 1 # trailing\r\n  USER\t=w\r\n\r\n",
    want: { web: { port: 1, user: "w" } },
  },
  {
    name: "a bad line is skipped and the next value is obtained",
    text: "Port abc\nPort 2",
    want: { x: { port: 2 } },
    warnings: ['cfg:1: bad Port value "abc"'],
  },
];

const matchCases: Case[] = [
  {
    name: "Match host sees the HostName obtained so far, case-insensitively",
    text: "Host web\n HostName Web.Internal\nMatch host *.internal\n User ops",
    want: { web: { hostName: "Web.Internal", user: "ops" }, db: {} },
  },
  {
    name: "Match originalhost sees the alias",
    text: "Host web\n HostName w.internal\nMatch originalhost WEB\n Port 1",
    want: { web: { hostName: "w.internal", port: 1 }, w: {} },
  },
  {
    name: "Match user sees the User so far, else the local user",
    text: "Host a\n User root\nMatch user root\n Port 1\nMatch user me\n Port 2",
    want: { a: { user: "root", port: 1 }, b: { port: 2 } },
  },
  {
    name: "Match localuser sees the local user",
    text: "Match localuser m?\n Port 1\nMatch localuser other\n User no",
    want: { a: { port: 1 } },
  },
  {
    name: "Match all applies everywhere",
    text: "Match all\n Port 1",
    want: { a: { port: 1 } },
  },
  {
    name: "every criterion must hold",
    text: "Match host a,b localuser me\n Port 1\nMatch host a localuser x\n User u",
    want: { a: { port: 1 }, b: { port: 1 }, c: {} },
  },
  {
    name: "a negated pattern in a Match list excludes",
    text: "Match host *,!bad\n Port 1",
    want: { good: { port: 1 }, bad: {} },
  },
  {
    name: "a criterion can be negated with !",
    text: "Match !host bad\n Port 1",
    want: { good: { port: 1 }, bad: {} },
  },
  {
    name: "Match exec never applies and is one warning",
    text: 'Match exec "true"\n Port 1\nMatch host a exec x\n User u',
    want: { a: {} },
    warnings: [
      "cfg:1: Match exec is not supported, the block never applies",
      "cfg:3: Match exec is not supported, the block never applies",
    ],
  },
  {
    name: "Match canonical, final and tagged never apply",
    text:
      "Match canonical\n Port 1\nMatch final all\n Port 2\nMatch tagged x\n Port 3\nMatch all\n Port 4",
    want: { a: { port: 4 } },
    warnings: [
      "cfg:1: Match canonical is not supported, the block never applies",
      "cfg:3: Match final is not supported, the block never applies",
      "cfg:5: Match tagged is not supported, the block never applies",
    ],
  },
  {
    name: "malformed Match lines never apply",
    text: "Match host\n Port 1\nMatch colour red\n Port 2\nMatch\n Port 3",
    want: { a: {} },
    warnings: [
      "cfg:1: Match host needs a pattern list",
      'cfg:3: unknown Match criterion "colour", the block never applies',
      "cfg:5: missing Match value",
    ],
  },
];

const valueCases: Case[] = [
  {
    name: "StrictHostKeyChecking takes OpenSSH's words",
    text: [
      "Host a\n StrictHostKeyChecking YES",
      "Host b\n StrictHostKeyChecking off",
      "Host c\n StrictHostKeyChecking accept-new",
      "Host d\n StrictHostKeyChecking ask",
      "Host e\n StrictHostKeyChecking false",
      "Host f\n StrictHostKeyChecking no",
    ].join("\n"),
    want: {
      a: { strictHostKeyChecking: "yes" },
      b: { strictHostKeyChecking: "no" },
      c: { strictHostKeyChecking: "accept-new" },
      d: { strictHostKeyChecking: "ask" },
      e: { strictHostKeyChecking: "no" },
      f: { strictHostKeyChecking: "no" },
    },
  },
  {
    name: "IdentitiesOnly is yes or no",
    text: "Host a\n IdentitiesOnly yes\nHost b\n IdentitiesOnly no",
    want: { a: { identitiesOnly: true }, b: { identitiesOnly: false } },
  },
  {
    name: "IdentityFile expands ~, %d, %h, %r, %u, %n, %p and %%",
    text: "Host web\n HostName web.example\n User deploy\n Port 2200\nHost *\n" +
      " IdentityFile ~/.ssh/id_%h_%r_%p_%n_%u\n IdentityFile %d/k%%\n IdentityFile ~",
    want: {
      web: {
        hostName: "web.example",
        user: "deploy",
        port: 2200,
        identityFiles: [
          "/home/me/.ssh/id_web.example_deploy_2200_web_me",
          "/home/me/k%",
          "/home/me",
        ],
      },
      db: { identityFiles: ["/home/me/.ssh/id_db_me_22_db_me", "/home/me/k%", "/home/me"] },
    },
  },
  {
    name: "IdentityFile none adds no file",
    text: "IdentityFile none",
    want: { a: {} },
  },
];

function jumps(...list: [string, number | null, string | null][]): JumpHost[] {
  return list.map(([host, port, user]) => ({ host, port, user }));
}

const proxyJumpCases: [string, JumpHost[] | null][] = [
  ["a", jumps(["a", null, null])],
  ["u@a:22,b", jumps(["a", 22, "u"], ["b", null, null])],
  ["a:", jumps(["a", null, null])],
  ["u@h@x:3", jumps(["x", 3, "u@h"])],
  ["[::1]:2200", jumps(["::1", 2200, null])],
  ["u@[fe80::1%eth0]", jumps(["fe80::1%eth0", null, "u"])],
  ["ssh://u@h:2200", jumps(["h", 2200, "u"])],
  ["ssh://[::1]:22", jumps(["::1", 22, null])],
  ["ssh://u%40x;fp=abc@h/", jumps(["h", null, "u@x"])],
  ["bastion,ssh://u@inner:2222", jumps(["bastion", null, null], ["inner", 2222, "u"])],
  ["none", null],
  ["NONE", null],
];

for (const [value, want] of proxyJumpCases) {
  Deno.test(`ProxyJump ${value} is understood`, () => {
    const { config, warnings } = parse(`ProxyJump ${value}`);
    assert.deepEqual(config.resolve("x", ctx).proxyJump, want);
    assert.deepEqual(warnings, []);
  });
}

for (
  const value of ["a:x", ":22", "u@", "@a", "a:0", "a:70000", "ssh://a/path", "[::1", "[::1]x"]
) {
  Deno.test(`ProxyJump ${value} is a warning and the line is skipped`, () => {
    const { config, warnings } = parse(`ProxyJump ${value}\nProxyJump b`);
    assert.deepEqual(config.resolve("x", ctx).proxyJump, jumps(["b", null, null]));
    assert.deepEqual(warnings, [`cfg:1: bad ProxyJump value "${value}"`]);
  });
}

const warningCases: Case[] = [
  {
    name: "an unknown keyword is one warning",
    text: "Host *\n Foo bar\n Port 1",
    want: { a: { port: 1 } },
    warnings: ['cfg:2: unknown keyword "Foo"'],
  },
  {
    name: "IgnoreUnknown silences the unknown keywords it names",
    text: "IgnoreUnknown UseFoo,Bar*\nUseFoo yes\nbarbaz 1\nQux 2",
    want: { a: {} },
    warnings: ['cfg:4: unknown keyword "Qux"'],
  },
  {
    name: "bad Port values are warnings",
    text: "Port abc\nPort 70000\nPort 0\nPort 22 23\nPort -1\nPort 65535",
    want: { a: { port: 65535 } },
    warnings: [
      'cfg:1: bad Port value "abc"',
      'cfg:2: bad Port value "70000"',
      'cfg:3: bad Port value "0"',
      'cfg:4: bad Port value "22 23"',
      'cfg:5: bad Port value "-1"',
    ],
  },
  {
    name: "bad yes/no values are warnings",
    text: "StrictHostKeyChecking maybe\nIdentitiesOnly perhaps",
    want: { a: {} },
    warnings: [
      'cfg:1: bad StrictHostKeyChecking value "maybe"',
      'cfg:2: bad IdentitiesOnly value "perhaps"',
    ],
  },
  {
    name: "unknown %-tokens and ~user are bad path values",
    text: "IdentityFile ~/.ssh/%C\nIdentityFile ~bob/key\nUserKnownHostsFile ~/kh %\n" +
      "HostName %p.x\nIdentityFile ~/ok",
    want: { a: { identityFiles: ["/home/me/ok"] } },
    warnings: [
      'cfg:1: bad IdentityFile value "~/.ssh/%C"',
      'cfg:2: bad IdentityFile value "~bob/key"',
      'cfg:3: bad UserKnownHostsFile value "~/kh %"',
      'cfg:4: bad HostName value "%p.x"',
    ],
  },
  {
    name: "ProxyCommand is a warning and keeps a later ProxyJump out, as OpenSSH's first-wins",
    text: "Host a\n ProxyCommand ssh -W %h:%p bastion\nHost *\n ProxyJump j",
    want: { a: {}, b: { proxyJump: jumps(["j", null, null]) } },
    warnings: ["cfg:2: ProxyCommand is not supported, use ProxyJump"],
  },
  {
    name: "ProxyCommand none is no warning",
    text: "Host a\n ProxyCommand none\nHost *\n ProxyJump j",
    want: { a: {} },
  },
  {
    name: "a keyword without a value is a warning",
    text: "Port\nServerAliveInterval\nHost\n User u\nProxyCommand # nothing\nHostName =",
    want: { a: {} },
    warnings: [
      "cfg:1: missing Port value",
      "cfg:2: missing ServerAliveInterval value",
      "cfg:3: missing Host value",
      "cfg:5: missing ProxyCommand value",
      "cfg:6: missing HostName value",
    ],
  },
  {
    name: "an open quote is a warning",
    text: 'User "me\nHost "a\n Port 1',
    want: { a: {} },
    warnings: [
      "cfg:1: unterminated quote in User value",
      "cfg:2: unterminated quote in Host value",
    ],
  },
  {
    name: "an empty quoted value is a bad value",
    text: 'User ""',
    want: { a: {} },
    warnings: ['cfg:1: bad User value ""'],
  },
];

for (
  const [group, cases] of [
    ["patterns", patternCases],
    ["precedence", precedenceCases],
    ["Match", matchCases],
    ["values", valueCases],
    ["warnings", warningCases],
  ] as const
) {
  for (const c of cases) Deno.test(`${group}: ${c.name}`, () => check(c));
}

/** Every keyword of OpenSSH 9's ssh_config(5) (`man ssh_config`), and some it still accepts. */
const OPENSSH_KEYWORDS =
  `AddKeysToAgent AddressFamily BatchMode BindAddress BindInterface CanonicalDomains
  CanonicalizeFallbackLocal CanonicalizeHostname CanonicalizeMaxDots CanonicalizePermittedCNAMEs
  CASignatureAlgorithms CertificateFile CheckHostIP Ciphers ClearAllForwardings Compression
  ConnectionAttempts ConnectTimeout ControlMaster ControlPath ControlPersist DynamicForward
  EnableEscapeCommandline EnableSSHKeysign EscapeChar ExitOnForwardFailure FingerprintHash
  ForkAfterAuthentication ForwardAgent ForwardX11 ForwardX11Timeout ForwardX11Trusted GatewayPorts
  GlobalKnownHostsFile GSSAPIAuthentication GSSAPIClientIdentity GSSAPIDelegateCredentials
  GSSAPIKeyExchange GSSAPIRenewalForcesRekey GSSAPIServerIdentity GSSAPITrustDns
  GSSAPIKexAlgorithms HashKnownHosts HostbasedAcceptedAlgorithms HostbasedAuthentication
  HostKeyAlgorithms HostKeyAlias Hostname IdentitiesOnly IdentityAgent IdentityFile IgnoreUnknown
  IPQoS KbdInteractiveAuthentication KbdInteractiveDevices KexAlgorithms KnownHostsCommand
  LocalCommand LocalForward LogLevel LogVerbose MACs NoHostAuthenticationForLocalhost
  NumberOfPasswordPrompts PasswordAuthentication PermitLocalCommand PermitRemoteOpen
  PKCS11Provider Port PreferredAuthentications ProxyJump ProxyUseFdpass PubkeyAcceptedAlgorithms
  PubkeyAuthentication RekeyLimit RemoteCommand RemoteForward RequestTTY RequiredRSASize
  RevokedHostKeys SecurityKeyProvider SendEnv ServerAliveCountMax ServerAliveInterval SessionType
  SetEnv StdinNull StreamLocalBindMask StreamLocalBindUnlink StrictHostKeyChecking SyslogFacility
  TCPKeepAlive Tunnel TunnelDevice UpdateHostKeys User UserKnownHostsFile VerifyHostKeyDNS
  VisualHostKey XAuthLocation ChannelTimeout ObscureKeystrokeTiming Tag PubkeyAcceptedKeyTypes
  ChallengeResponseAuthentication Protocol UseRoaming`.split(/\s+/);

Deno.test("every keyword OpenSSH knows is accepted without a warning", () => {
  const values: Record<string, string> = {
    Port: "22",
    IdentitiesOnly: "yes",
    StrictHostKeyChecking: "ask",
    ProxyJump: "none",
  };
  const text = OPENSSH_KEYWORDS.map((k) => `${k} ${values[k] ?? "x"}`).join("\n");
  const { config, warnings } = parse(text);
  assert.deepEqual(warnings, []);
  assert.equal(config.resolve("a", ctx).hostName, "x");
});

Deno.test("warnings come once per line at parse time, never from resolve", () => {
  const { config, warnings } = parse("Host *\n Port abc\n ProxyCommand nc %h %p");
  for (let i = 0; i < 3; i++) config.resolve(`h${i}`, ctx);
  assert.equal(warnings.length, 2);
});

Deno.test("the wildcard match stays fast on a pathological pattern", () => {
  const { config } = parse(`Host ${"*a".repeat(20)}*b\n Port 1`);
  const start = performance.now();
  assert.equal(config.resolve("a".repeat(5000), ctx).port, null);
  assert.ok(performance.now() - start < 1000, "took too long");
  assert.equal(wildcardMatch("*a*b", "xaxxb"), true);
  assert.equal(wildcardMatch("a*", ""), false);
  assert.equal(wildcardMatch("*", ""), true);
});

Deno.test("Include globs match like glob(3): classes, no hidden files", () => {
  const m = globSegmentMatcher("[a-c]*.conf");
  assert.deepEqual(
    ["a.conf", "b1.conf", "d.conf", ".a.conf", "c.confx"].filter(m),
    ["a.conf", "b1.conf"],
  );
  assert.deepEqual(["x", "y", "!"].filter(globSegmentMatcher("[!x]")), ["y", "!"]);
});

Deno.test("NO_SSH_CONFIG resolves every alias to itself", () => {
  assert.deepEqual(NO_SSH_CONFIG.resolve("web", ctx), { hostName: "web", ...DEFAULTS });
  assert.deepEqual(NO_SSH_CONFIG.files, []);
});

async function withHome(fn: (home: string) => Promise<void> | void): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "dtail_ssh_config_" });
  try {
    await Deno.mkdir(`${home}/.ssh`);
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

function load(home: string, path: string | null, systemPath = `${home}/no_system_config`) {
  const warnings: string[] = [];
  const config = loadSshConfig({ path, home, warn: (l) => warnings.push(l), systemPath });
  return { config, warnings };
}

function resolveIn(config: SshConfig, home: string, alias: string): SshHostConfig {
  return config.resolve(alias, { home, localUser: "me" });
}

Deno.test("Include: relative paths start in ~/.ssh and glob matches are read sorted", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/.ssh/conf.d`);
    await Deno.writeTextFile(`${home}/.ssh/config`, "Include conf.d/*.conf nothing/*\nPort 9");
    await Deno.writeTextFile(`${home}/.ssh/conf.d/b.conf`, "Port 2\nUser b");
    await Deno.writeTextFile(`${home}/.ssh/conf.d/a.conf`, "Port 1");
    await Deno.writeTextFile(`${home}/.ssh/conf.d/c.txt`, "User c");
    const { config, warnings } = load(home, null);
    assert.deepEqual(resolveIn(config, home, "x"), {
      ...DEFAULTS,
      hostName: "x",
      port: 1,
      user: "b",
    });
    assert.deepEqual(config.files, [
      `${home}/.ssh/config`,
      `${home}/.ssh/conf.d/a.conf`,
      `${home}/.ssh/conf.d/b.conf`,
    ]);
    assert.deepEqual(warnings, []);
  });
});

Deno.test("Include inside a Host block applies under that block only", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/.ssh/web.conf`, "Port 5\nHost *\n User all");
    await Deno.writeTextFile(`${home}/.ssh/config`, "Host web\n Include ~/.ssh/web.conf\n User w");
    const { config } = load(home, null);
    assert.equal(resolveIn(config, home, "web").port, 5);
    // After the Include the Host web block goes on; inside it `Host *` had matched first.
    assert.equal(resolveIn(config, home, "web").user, "all");
    assert.deepEqual(resolveIn(config, home, "db"), { ...DEFAULTS, hostName: "db" });
  });
});

Deno.test("an Include loop is one warning, not a hang", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/.ssh/config`, "Include other\nPort 1");
    await Deno.writeTextFile(`${home}/.ssh/other`, "Include config\nUser u");
    const { config, warnings } = load(home, null);
    assert.deepEqual(warnings, [
      `${home}/.ssh/other:1: Include loop, ${home}/.ssh/config is not read again`,
    ]);
    assert.deepEqual(config.files, [`${home}/.ssh/config`, `${home}/.ssh/other`]);
    assert.equal(resolveIn(config, home, "x").user, "u");
  });
});

Deno.test("Includes nested deeper than 16 files stop with one warning", async () => {
  await withHome(async (home) => {
    for (let i = 0; i < 20; i++) {
      await Deno.writeTextFile(`${home}/.ssh/f${i}`, `Include f${i + 1}\nIdentityFile ~/k${i}`);
    }
    await Deno.writeTextFile(`${home}/.ssh/config`, "Include f0");
    const { config, warnings } = load(home, null);
    assert.deepEqual(warnings, [
      `${home}/.ssh/f15:1: Include nested deeper than 16 files, ${home}/.ssh/f16 is not read`,
    ]);
    assert.equal(resolveIn(config, home, "x").identityFiles.length, 16);
  });
});

Deno.test("the user file comes before the system file, whose Includes start in its folder", async () => {
  await withHome(async (home) => {
    await Deno.mkdir(`${home}/etc/ssh_config.d`, { recursive: true });
    await Deno.writeTextFile(`${home}/.ssh/config`, "Host web\n Port 1");
    await Deno.writeTextFile(`${home}/etc/ssh_config`, "Include ssh_config.d/*.conf\nPort 2");
    await Deno.writeTextFile(`${home}/etc/ssh_config.d/a.conf`, "User sys\nPort 3");
    const { config, warnings } = load(home, null, `${home}/etc/ssh_config`);
    assert.deepEqual(resolveIn(config, home, "web"), {
      ...DEFAULTS,
      hostName: "web",
      port: 1,
      user: "sys",
    });
    assert.equal(resolveIn(config, home, "db").port, 3);
    assert.deepEqual(warnings, []);
  });
});

Deno.test("missing default files are fine, an unreadable one is one warning", async () => {
  await withHome(async (home) => {
    const missing = load(home, null);
    assert.deepEqual([missing.warnings, missing.config.files], [[], []]);
    await Deno.mkdir(`${home}/.ssh/config`);
    const unreadable = load(home, null);
    assert.deepEqual(unreadable.warnings, [
      `${home}/.ssh/config: cannot read ssh config: is a directory`,
    ]);
  });
});

Deno.test("-F reads only that file and a missing or unreadable one is an SshConfigError", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(`${home}/.ssh/config`, "Port 1");
    await Deno.writeTextFile(`${home}/.ssh/inc`, "User i");
    await Deno.writeTextFile(`${home}/f`, "Include inc\nPort 2");
    const { config } = load(home, `${home}/f`);
    assert.deepEqual(resolveIn(config, home, "x"), {
      ...DEFAULTS,
      hostName: "x",
      port: 2,
      user: "i",
    });
    assert.throws(() => load(home, `${home}/nope`), (e: unknown) => {
      assert.ok(e instanceof SshConfigError && e instanceof SetupError);
      assert.equal(e.message, `cannot read ssh config ${home}/nope: no such file`);
      return true;
    });
    assert.throws(
      () => load(home, `${home}/.ssh`),
      new SshConfigError(`cannot read ssh config ${home}/.ssh: is a directory`),
    );
    assert.equal(load(home, "none").config, NO_SSH_CONFIG);
  });
});

const DEBIAN_SSH_CONFIG = `
# This is the ssh client system-wide configuration file.  See
# ssh_config(5) for more information.  This file provides defaults for
# users, and the values can be changed in per-user configuration files
# or on the command line.

Include /etc/ssh/ssh_config.d/*.conf

Host *
#   ForwardAgent no
#   StrictHostKeyChecking ask
#   IdentityFile ~/.ssh/id_rsa
#   Port 22
#   ProxyCommand ssh -q -W %h:%p gateway.example.com
#   UserKnownHostsFile ~/.ssh/known_hosts.d/%k
    SendEnv LANG LC_*
    HashKnownHosts yes
    GSSAPIAuthentication yes
`;

Deno.test("Debian's default /etc/ssh/ssh_config loads without a warning", () => {
  const listed: string[] = [];
  const { config, warnings } = parse(DEBIAN_SSH_CONFIG, {
    listDir: (dir) => (listed.push(dir), []),
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(listed, ["/etc/ssh/ssh_config.d"]);
  assert.deepEqual(config.resolve("web", ctx), { hostName: "web", ...DEFAULTS });
});

/** One config through OpenSSH's own `ssh -G`, to check that we resolve as it does. */
const OPENSSH_CROSS_CHECK = `
Host web* !web9
  HostName %h.example.com
  Port 2201
Match host *.example.com !originalhost web2
  User ops
Host db?
  User dba
  ProxyJump u@bastion:2022,ssh://inner
Match originalhost DB1
  Port 3306
Host *
  Port 2222
  User everyone
  StrictHostKeyChecking accept-new
  IdentitiesOnly yes
`;

Deno.test("aliases resolve as OpenSSH's ssh -G resolves them", async () => {
  if (!await hasCommand("ssh")) return;
  const localUser = (await run("id", ["-un"])).trim();
  await withHome(async (home) => {
    const path = `${home}/cfg`;
    await Deno.writeTextFile(path, OPENSSH_CROSS_CHECK);
    const { config, warnings } = load(home, path);
    assert.deepEqual(warnings, []);
    for (const alias of ["web1", "web2", "web9", "db1", "db12", "other"]) {
      const ours = config.resolve(alias, { home, localUser });
      const out = await run("ssh", ["-G", "-F", path, alias]);
      const theirs = new Map(
        out.split("\n").map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
      );
      const jumpText = ours.proxyJump?.map((j) =>
        `${j.user === null ? "" : j.user + "@"}${j.host}${j.port === null ? "" : ":" + j.port}`
      ).join(",");
      assert.deepEqual(
        [ours.hostName.toLowerCase(), String(ours.port ?? 22), ours.user ?? localUser, jumpText],
        [theirs.get("hostname"), theirs.get("port"), theirs.get("user"), theirs.get("proxyjump")],
        alias,
      );
      assert.equal(
        ours.strictHostKeyChecking === "accept-new",
        theirs.get("stricthostkeychecking") === "accept-new",
      );
    }
  });
});

Deno.test("10,000 aliases resolve quickly against a config of 200 blocks", () => {
  const blocks = Array.from(
    { length: 200 },
    (_, i) => `Host web${i}-* !web${i}-9*\n Port ${i + 1}`,
  );
  const { config } = parse(blocks.join("\n") + "\nHost *\n IdentityFile ~/.ssh/id_%h\n User u");
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) config.resolve(`web${i % 250}-${i}`, ctx);
  assert.equal(config.resolve("web7-1", ctx).port, 8);
  assert.equal(config.resolve("web7-91", ctx).port, null);
  assert.ok(performance.now() - start < 5000, "resolving took too long");
});
