import assert from "node:assert/strict";
import { JumpLoopError, resolveServer, type ResolveSettings } from "./host_resolve.ts";
import { NO_SSH_CONFIG, type SshConfig, type SshHostConfig } from "./ssh_config.ts";
import type { ServerAddress } from "./server_list.ts";

/** An ssh config of whole-alias entries (the parser has its own tests). */
function config(hosts: Record<string, Partial<SshHostConfig>>): SshConfig {
  return {
    files: [],
    resolve: (alias, ctx) => ({ ...NO_SSH_CONFIG.resolve(alias, ctx), ...hosts[alias] }),
  };
}

const settings: ResolveSettings = {
  portFlag: null,
  configPort: 2222,
  userFlag: null,
  localUser: "me",
  home: "/home/me",
};

function address(host: string, port: number | null, user?: string): ServerAddress {
  return {
    host,
    port: port ?? 2222,
    portGiven: port !== null,
    label: `${host}:${port ?? 2222}`,
    ...(user ? { user } : {}),
  };
}

const web = config({
  web1: { hostName: "10.0.0.1", port: 2022, user: "ops", identityFiles: ["/k/web"] },
});

Deno.test("the port comes from the entry, then --port, then ssh config, then dtail.json", () => {
  const cases: [ServerAddress, number | null, number][] = [
    [address("web1", 4000), 3000, 4000],
    [address("web1", null), 3000, 3000],
    [address("web1", null), null, 2022],
    [address("db1", null), null, 2222],
  ];
  for (const [server, portFlag, want] of cases) {
    const got = resolveServer(server, web, { ...settings, portFlag });
    assert.equal(got.port, want, `${server.label} with --port ${portFlag}`);
    assert.equal(got.label, `${server.host}:${want}`);
  }
});

Deno.test("the user comes from --user, then the inventory, then ssh config, then the login", () => {
  const cases: [ServerAddress, string | null, string][] = [
    [address("web1", null, "inv"), "flag", "flag"],
    [address("web1", null, "inv"), null, "inv"],
    [address("web1", null), null, "ops"],
    [address("db1", null), null, "me"],
  ];
  for (const [server, userFlag, want] of cases) {
    assert.equal(resolveServer(server, web, { ...settings, userFlag }).user, want);
  }
});

Deno.test("HostName, IdentityFile and known_hosts settings of the ssh config are applied", () => {
  const got = resolveServer(
    address("web1", null),
    config({
      web1: {
        hostName: "10.0.0.1",
        identityFiles: ["/k/a", "/k/b"],
        identitiesOnly: true,
        userKnownHostsFiles: ["/kh/one", "/kh/two"],
        strictHostKeyChecking: "yes",
      },
    }),
    settings,
  );
  assert.equal(got.host, "10.0.0.1");
  assert.equal(got.label, "web1:2222");
  assert.deepEqual(got.identityFiles, ["/k/a", "/k/b"]);
  assert.equal(got.identitiesOnly, true);
  assert.equal(got.knownHostsPath, "/kh/one");
  assert.equal(got.strictHostKeys, "yes");
  assert.deepEqual(got.jumps, []);
});

Deno.test("jump hosts default to port 22 and the login user, and take their own config", () => {
  const cfg = config({
    web1: { proxyJump: [{ host: "bastion", port: null, user: null }] },
    bastion: { hostName: "192.0.2.1", identityFiles: ["/k/bastion"] },
  });
  const [jump, ...rest] = resolveServer(address("web1", null), cfg, settings).jumps;
  assert.deepEqual(rest, []);
  assert.equal(jump!.host, "192.0.2.1");
  assert.equal(jump!.port, 22);
  assert.equal(jump!.user, "me");
  assert.equal(jump!.label, "bastion:22");
  assert.deepEqual(jump!.identityFiles, ["/k/bastion"]);
});

Deno.test("a ProxyJump list is reached in order, the first hop through its own jump hosts", () => {
  const cfg = config({
    web1: {
      proxyJump: [{ host: "a", port: 2200, user: "ua" }, { host: "b", port: null, user: null }],
    },
    a: { proxyJump: [{ host: "outer", port: null, user: null }], port: 9999 },
    b: { user: "ub", proxyJump: [{ host: "ignored", port: null, user: null }] },
  });
  const jumps = resolveServer(address("web1", null), cfg, settings).jumps;
  assert.deepEqual(
    jumps.map((j) => `${j.user}@${j.label}`),
    ["me@outer:22", "ua@a:2200", "ub@b:22"],
  );
});

Deno.test("a jump host that matches its own ProxyJump (Host *) is reached directly", () => {
  const star = { proxyJump: [{ host: "bastion", port: null, user: null }] };
  const cfg = config({ web1: star, bastion: star });
  const jumps = resolveServer(address("web1", null), cfg, settings).jumps;
  assert.deepEqual(jumps.map((j) => j.label), ["bastion:22"]);
});

Deno.test("jump hosts that name each other are each reached once", () => {
  const cfg = config({
    web1: { proxyJump: [{ host: "a", port: null, user: null }] },
    a: { proxyJump: [{ host: "b", port: null, user: null }] },
    b: { proxyJump: [{ host: "a", port: null, user: null }] },
  });
  const jumps = resolveServer(address("web1", null), cfg, settings).jumps;
  assert.deepEqual(jumps.map((j) => j.label), ["b:22", "a:22"]);
});

Deno.test("a chain of more than 8 jump hosts is one setup error", () => {
  const hosts: Record<string, Partial<SshHostConfig>> = {};
  for (let i = 0; i < 10; i++) {
    hosts[i === 0 ? "web1" : `j${i}`] = {
      proxyJump: [{ host: `j${i + 1}`, port: null, user: null }],
    };
  }
  assert.throws(
    () => resolveServer(address("web1", null), config(hosts), settings),
    (e: unknown) => e instanceof JumpLoopError && /more than 8 jump hosts/.test(e.message),
  );
});
