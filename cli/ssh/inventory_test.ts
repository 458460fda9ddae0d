import assert from "node:assert/strict";
import { NameBudget } from "./host_pattern.ts";
import { type InventoryHost, looksLikeInventory, parseInventory } from "./inventory.ts";
import { ServerListError } from "./server_list_error.ts";

function parse(text: string) {
  const warnings: string[] = [];
  const inventory = parseInventory(text, "hosts.ini", { warn: (l) => warnings.push(l) });
  return { inventory, warnings };
}

const names = (hosts: InventoryHost[] | null) => hosts?.map((h) => h.name) ?? null;

const FLEET = `
# the fleet
bastion1

[web]
web[01:03].example.com
shared

[db]
db-[a:b] ansible_user=postgres
shared

[eu:children]
web

[prod:children]
eu
db
`;

Deno.test("groups, ungrouped hosts and children select hosts in file order", () => {
  const { inventory, warnings } = parse(FLEET);
  assert.deepEqual(warnings, []);
  const web = ["web01.example.com", "web02.example.com", "web03.example.com", "shared"];
  assert.deepEqual(names(inventory.hosts("web")), web);
  assert.deepEqual(names(inventory.hosts("db")), ["shared", "db-a", "db-b"]);
  assert.deepEqual(names(inventory.hosts("eu")), web);
  assert.deepEqual(names(inventory.hosts("prod")), [...web, "db-a", "db-b"]);
  assert.deepEqual(names(inventory.hosts("ungrouped")), ["bastion1"]);
  assert.deepEqual(names(inventory.hosts()), ["bastion1", ...web, "db-a", "db-b"]);
  assert.equal(inventory.hosts("nope"), null);
  assert.deepEqual(inventory.groupNames, ["all", "ungrouped", "web", "db", "eu", "prod"]);
});

Deno.test("a host listed in several groups is one host", () => {
  const { inventory } = parse(FLEET);
  assert.equal(inventory.hosts()!.filter((h) => h.name === "shared").length, 1);
});

Deno.test("host vars say where and as whom to connect, other vars are ignored", () => {
  const { inventory, warnings } = parse(
    [
      "a ansible_host=10.0.0.1 ansible_port=2200 ansible_user=deploy ansible_python=/usr/bin/python3",
      "b ansible_ssh_host=10.0.0.2 ansible_ssh_port=22 ansible_ssh_user=root",
      "c:2300",
      "d:2300 ansible_port=2400",
      "[::1]:2222",
      "e",
    ].join("\n"),
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(inventory.hosts(), [
    { name: "a", host: "10.0.0.1", port: 2200, user: "deploy" },
    { name: "b", host: "10.0.0.2", port: 22, user: "root" },
    { name: "c", host: "c", port: 2300 },
    { name: "d", host: "d", port: 2400 },
    { name: "::1", host: "::1", port: 2222 },
    { name: "e", host: "e" },
  ]);
});

Deno.test("host vars beat group vars, a child's vars beat its parent's, all's come last", () => {
  const { inventory, warnings } = parse(`
[all:vars]
ansible_user=everyone
ansible_port=22

[prod:vars]
ansible_port=2200
ansible_host=prod.example.com

[web:vars]
ansible_port = 2222

[prod:children]
web

[web]
w1
w2 ansible_port=2300 ansible_host=10.0.0.2

[prod]
p1

[ungrouped]
u1
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(inventory.hosts(), [
    { name: "w1", host: "prod.example.com", port: 2222, user: "everyone" },
    { name: "w2", host: "10.0.0.2", port: 2300, user: "everyone" },
    { name: "p1", host: "prod.example.com", port: 2200, user: "everyone" },
    { name: "u1", host: "u1", port: 22, user: "everyone" },
  ]);
});

Deno.test("of two groups at the same depth, the one whose name sorts last wins", () => {
  const { inventory } = parse(`
[b]
h
[a]
h
[a:vars]
ansible_user=from-a
[b:vars]
ansible_user=from-b
`);
  assert.equal(inventory.hosts()![0]!.user, "from-b");
});

Deno.test("comments, blank lines and quotes are read like Ansible", () => {
  const { inventory, warnings } = parse(`
; a comment
   # another
[web]   # the web servers
w1 ansible_user="deploy user"  # inline comment
w2 ansible_host='10.0.0.2' # ansible_port=1

[web:vars]
ansible_port=2222 # a comment
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(inventory.hosts("web"), [
    { name: "w1", host: "w1", port: 2222, user: "deploy user" },
    { name: "w2", host: "10.0.0.2", port: 2222 },
  ]);
});

Deno.test("a bad line is one warning naming file and line, and is skipped", () => {
  const { inventory, warnings } = parse(`[web]
w1
w2 ansible_port=
w3 ansible_port=abc
w4 oops
w5 ansible_user="unterminated
w[5-1]
w6:99999
w7

[db:children]
web
nosuch
two words

[db:vars]
just_a_word

[broken
skipped1

[x:hosts]
skipped2

[y:childs]
skipped3
`);
  assert.deepEqual(warnings, [
    'hosts.ini:3: "ansible_port=" has no value',
    'hosts.ini:4: ansible_port "abc" is not a port from 1 to 65535',
    'hosts.ini:5: expected key=value after the host name, got "oops"',
    "hosts.ini:6: a quote is not closed",
    'hosts.ini:7: host pattern "w[5-1]": the range 5..1 runs backwards',
    'hosts.ini:8: server "w6:99999": port must be a number from 1 to 65535',
    'hosts.ini:13: [db:children] names unknown group "nosuch"',
    'hosts.ini:14: expected one group name in [db:children], got "two words"',
    'hosts.ini:17: expected key=value in [db:vars], got "just_a_word"',
    'hosts.ini:19: section header "[broken" has no closing "]"; its lines are skipped',
    'hosts.ini:22: unknown section "[x:hosts]" (expected [group], [group:vars] or ' +
    "[group:children]); its lines are skipped",
    'hosts.ini:25: unknown section "[y:childs]" (expected [group], [group:vars] or ' +
    "[group:children]); its lines are skipped",
  ]);
  assert.deepEqual(names(inventory.hosts()), ["w1", "w7"]);
  assert.deepEqual(names(inventory.hosts("db")), ["w1", "w7"]);
});

Deno.test("a group that would contain itself is a warning, the edge skipped", () => {
  const { inventory, warnings } = parse(`
[a:children]
b
[b:children]
a
all
[b]
h
`);
  assert.deepEqual(warnings, [
    'hosts.ini:5: [b:children] "a" would make "b" contain itself',
    'hosts.ini:6: [b:children] "all" would make "b" contain itself',
  ]);
  assert.deepEqual(names(inventory.hosts("a")), ["h"]);
});

Deno.test("an inventory naming more hosts than the limit is a ServerListError", () => {
  assert.throws(
    () => parseInventory("[web]\nw[1-6]\n", "x", { warn: () => {}, budget: new NameBudget(5) }),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message === '"w[1-6]" takes the server list past the limit of 5 servers',
  );
});

Deno.test("a file is an inventory when it has a section or a key=value host var", () => {
  const cases: [string, boolean][] = [
    ["[web]\nw1\n", true],
    ["# fleet\n[web:children]\n", true],
    ["w1 ansible_host=10.0.0.1\n", true],
    ["[web\n", true],
    ["w1\nw2:2222\n", false],
    ["[::1]\n[fe80::1]:2222\n::1\n", false],
    ["web[01-03]\n# [web]\n", false],
    ["", false],
  ];
  for (const [text, expected] of cases) assert.equal(looksLikeInventory(text), expected, text);
});
