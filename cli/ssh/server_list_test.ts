import assert from "node:assert/strict";
import { compileRegex } from "../../core/matcher.ts";
import {
  parseServerAddress,
  serverList as listServers,
  ServerListError,
  type ServerListOptions,
} from "./server_list.ts";

const serverList = (opts: ServerListOptions) => listServers({ compileRegex, ...opts });

const labels = (opts: Parameters<typeof serverList>[0]) => serverList(opts).map((s) => s.label);

async function withFile(text: string, fn: (path: string) => void | Promise<void>) {
  const path = await Deno.makeTempFile({ prefix: "server_list_test_" });
  try {
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("a comma list keeps its order, drops empty entries and exact duplicates", () => {
  assert.deepEqual(labels({ servers: "b,a:2223,,b, c ", defaultPort: 2222 }), [
    "b:2222",
    "a:2223",
    "c:2222",
  ]);
});

Deno.test("no servers and no discovery give an empty list", () => {
  assert.deepEqual(serverList({ defaultPort: 2222 }), []);
});

Deno.test("an address has a host, a port and a host:port label", () => {
  assert.deepEqual(parseServerAddress("web1:2000", 2222), {
    host: "web1",
    port: 2000,
    portGiven: true,
    label: "web1:2000",
  });
  assert.deepEqual(parseServerAddress("web1", 22), {
    host: "web1",
    port: 22,
    portGiven: false,
    label: "web1:22",
  });
});

Deno.test("IPv6 literals are accepted in brackets or bare", () => {
  assert.deepEqual(parseServerAddress("[::1]:2000", 2222), {
    host: "::1",
    port: 2000,
    portGiven: true,
    label: "[::1]:2000",
  });
  assert.equal(parseServerAddress("[fe80::1]", 2222).label, "[fe80::1]:2222");
  assert.equal(parseServerAddress("fe80::1", 2222).label, "[fe80::1]:2222");
});

Deno.test("a non-numeric, zero or too large port is a ServerListError", () => {
  for (const bad of ["h:abc", "h:0", "h:65536", "h:", "h:-1", "h:22x", "[::1]:x", ":22"]) {
    assert.throws(() => parseServerAddress(bad, 2222), ServerListError, bad);
  }
});

Deno.test("a user in a server name, or a space, is a ServerListError saying what to write", () => {
  assert.throws(
    () => parseServerAddress("alice@web1:2222", 2222),
    /server "alice@web1:2222": a server is host\[:port\]; give the user with --user/,
  );
  assert.throws(() => parseServerAddress("web 1", 2222), /"web 1": a host name has no spaces/);
});

Deno.test("an existing file lists one server per line, skipping blanks and comments to the line end", async () => {
  await withFile("# fleet\nweb1\n\n  web2:2000  \n#web3\nweb1\n", (path) => {
    assert.deepEqual(labels({ servers: path, defaultPort: 2222 }), ["web1:2222", "web2:2000"]);
  });
  await withFile("web1   # the first\nweb2:2000# second\n   # indented\n", (path) => {
    assert.deepEqual(labels({ servers: path, defaultPort: 2222 }), ["web1:2222", "web2:2000"]);
  });
});

Deno.test("the FILE module reads --servers or its options as the file", async () => {
  await withFile("a\nb\n", (path) => {
    assert.deepEqual(labels({ discovery: "file", servers: path, defaultPort: 1 }), [
      "a:1",
      "b:1",
    ]);
    assert.deepEqual(labels({ discovery: `FILE:${path}`, defaultPort: 1 }), ["a:1", "b:1"]);
  });
});

Deno.test("the COMMA module splits --servers or its options", () => {
  assert.deepEqual(labels({ discovery: "Comma", servers: "x,y", defaultPort: 5 }), [
    "x:5",
    "y:5",
  ]);
  assert.deepEqual(labels({ discovery: "COMMA:x,y:6", defaultPort: 5 }), ["x:5", "y:6"]);
});

Deno.test("a /regex/ in --servers filters the discovery list", async () => {
  await withFile("web1\ndb1\nweb2:2000\n", (path) => {
    assert.deepEqual(labels({ discovery: `FILE:${path}`, servers: "/^web/", defaultPort: 22 }), [
      "web1:22",
      "web2:2000",
    ]);
  });
  assert.deepEqual(labels({ discovery: "COMMA:a1,b1,a2", servers: "/(?i)A/", defaultPort: 1 }), [
    "a1:1",
    "a2:1",
  ]);
});

Deno.test("a /regex/ without --discovery is an error rather than zero servers", () => {
  assert.throws(() => serverList({ servers: "/web/", defaultPort: 22 }), /needs a --discovery/);
});

Deno.test("a /regex/ filter is RE2: linear time, lookarounds refused with RE2's reason", () => {
  const t0 = performance.now();
  const hosts = ["a".repeat(40) + "!", "aaa", "web1"].join(",");
  assert.deepEqual(labels({ discovery: `COMMA:${hosts}`, servers: "/^(a+)+$/", defaultPort: 22 }), [
    "aaa:22",
  ]);
  assert.ok(performance.now() - t0 < 1000, `${Math.round(performance.now() - t0)} ms`);
  assert.throws(
    () => serverList({ discovery: "COMMA:web1", servers: "/(?<=w)eb/", defaultPort: 22 }),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message.endsWith("error parsing regexp: invalid named capture: `(?<=w)eb`"),
  );
});

Deno.test("a bad regex is a ServerListError", () => {
  assert.throws(
    () => serverList({ discovery: "COMMA:a", servers: "/(/", defaultPort: 22 }),
    ServerListError,
  );
});

Deno.test("an unknown discovery module is a one-line ServerListError", () => {
  assert.throws(
    () => serverList({ discovery: "consul:foo", defaultPort: 22 }),
    (e: unknown) =>
      e instanceof ServerListError && e.message ===
        '--discovery: unknown module "CONSUL" (known: COMMA, FILE)',
  );
});

Deno.test("an empty module name, empty options or missing input are errors", () => {
  for (const discovery of [":x", "FILE:", "COMMA"]) {
    assert.throws(() => serverList({ discovery, defaultPort: 22 }), ServerListError, discovery);
  }
});

Deno.test("a missing FILE is a ServerListError", () => {
  assert.throws(
    () => serverList({ discovery: "FILE:/nonexistent/servers.txt", defaultPort: 22 }),
    /cannot read server list/,
  );
});

Deno.test("shuffle is off by default and reorders when asked", () => {
  const servers = "a,b,c,d";
  assert.deepEqual(labels({ servers, defaultPort: 1 }), ["a:1", "b:1", "c:1", "d:1"]);
  const shuffled = labels({ servers, defaultPort: 1, shuffle: true, random: () => 0 });
  assert.deepEqual(shuffled, ["b:1", "c:1", "d:1", "a:1"]);
});

Deno.test("host patterns in a comma list expand, each keeping the entry's port", () => {
  assert.deepEqual(labels({ servers: "web[01-03]:2000,db1,web02:2000", defaultPort: 22 }), [
    "web01:2000",
    "web02:2000",
    "web03:2000",
    "db1:22",
  ]);
  assert.deepEqual(labels({ servers: "[::1]:2000,[fe80::1]", defaultPort: 22 }), [
    "[::1]:2000",
    "[fe80::1]:22",
  ]);
});

Deno.test("a bad range or too many servers is a ServerListError", () => {
  assert.throws(
    () => serverList({ servers: "a,web[9-1]", defaultPort: 22 }),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message === 'host pattern "web[9-1]": the range 9..1 runs backwards',
  );
  assert.throws(
    () => serverList({ servers: "a[1-3],b[1-3]", defaultPort: 22, limit: 5 }),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message === '"b[1-3]" takes the server list past the limit of 5 servers',
  );
  assert.throws(
    () => serverList({ servers: "h[1-100001]", defaultPort: 22 }),
    /past the limit of 100000 servers/,
  );
});

Deno.test("a plain server file expands host patterns and keeps IPv6 lines", async () => {
  await withFile("web[1-2]\n[::1]:2000\n# [web]\n", (path) => {
    assert.deepEqual(labels({ servers: path, defaultPort: 22 }), [
      "web1:22",
      "web2:22",
      "[::1]:2000",
    ]);
  });
});

const INVENTORY = `
bastion
[web]
web[1:2] ansible_port=2000
[db]
db1 ansible_host=10.0.0.5 ansible_user=postgres
[prod:children]
web
db
`;

Deno.test("a server file with sections is an inventory: addresses, ports and users", async () => {
  await withFile(INVENTORY, (path) => {
    assert.deepEqual(serverList({ servers: path, defaultPort: 22 }), [
      { host: "bastion", port: 22, portGiven: false, label: "bastion:22" },
      { host: "web1", port: 2000, portGiven: true, label: "web1:2000" },
      { host: "web2", port: 2000, portGiven: true, label: "web2:2000" },
      { host: "10.0.0.5", port: 22, portGiven: false, user: "postgres", label: "10.0.0.5:22" },
    ]);
  });
});

Deno.test("FILE:group takes one group of an inventory with its children", async () => {
  await withFile(INVENTORY, (path) => {
    assert.deepEqual(labels({ servers: `${path}:web`, defaultPort: 22 }), [
      "web1:2000",
      "web2:2000",
    ]);
    assert.deepEqual(labels({ servers: `${path}:prod`, defaultPort: 22 }), [
      "web1:2000",
      "web2:2000",
      "10.0.0.5:22",
    ]);
    assert.deepEqual(labels({ discovery: `FILE:${path}:ungrouped`, defaultPort: 22 }), [
      "bastion:22",
    ]);
    assert.deepEqual(labels({ discovery: `FILE:${path}`, servers: "/^web/", defaultPort: 22 }), [
      "web1:2000",
      "web2:2000",
    ]);
  });
});

Deno.test("an unknown group is a ServerListError listing the known groups", async () => {
  await withFile(INVENTORY, (path) => {
    assert.throws(
      () => serverList({ servers: `${path}:nosuch`, defaultPort: 22 }),
      (e: unknown) =>
        e instanceof ServerListError &&
        e.message === `${path}: no group "nosuch" (known: all, ungrouped, web, db, prod)`,
    );
  });
  const many = Array.from({ length: 12 }, (_, i) => `[g${i}]\nh${i}`).join("\n");
  await withFile(many, (path) => {
    assert.throws(
      () => serverList({ servers: `${path}:nosuch`, defaultPort: 22 }),
      (e: unknown) =>
        e instanceof ServerListError && e.message.endsWith(
          "(known: all, ungrouped, g0, g1, g2, g3, g4, g5, g6, g7, … (4 more))",
        ),
    );
  });
  await withFile("a\nb\n", (path) => {
    assert.deepEqual(labels({ servers: `${path}:all`, defaultPort: 1 }), ["a:1", "b:1"]);
    assert.throws(
      () => serverList({ servers: `${path}:web`, defaultPort: 1 }),
      /is a plain server list, not an inventory with groups/,
    );
  });
});

Deno.test("inventory warnings reach the warn callback and the bad lines are skipped", async () => {
  await withFile("[web]\nw1\nw2 ansible_port=x\n", (path) => {
    const warnings: string[] = [];
    const list = labels({ servers: path, defaultPort: 22, warn: (l) => warnings.push(l) });
    assert.deepEqual(list, ["w1:22"]);
    assert.deepEqual(warnings, [`${path}:3: ansible_port "x" is not a port from 1 to 65535`]);
  });
});

Deno.test("an inventory without hosts gives an empty list", async () => {
  await withFile("[web]\n[web:vars]\nansible_user=x\n", (path) => {
    assert.deepEqual(serverList({ servers: path, defaultPort: 22 }), []);
  });
});
