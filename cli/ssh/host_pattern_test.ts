import assert from "node:assert/strict";
import {
  countHostPattern,
  expandHostPattern,
  hasHostPattern,
  MAX_SERVERS,
  NameBudget,
} from "./host_pattern.ts";
import { ServerListError } from "./server_list_error.ts";

Deno.test("ranges expand with the start's zero padding, dash or colon alike", () => {
  const cases: [string, string[]][] = [
    ["web[01-03].example.com", ["web01.example.com", "web02.example.com", "web03.example.com"]],
    ["web[01:03]", ["web01", "web02", "web03"]],
    ["web[8-11]", ["web8", "web9", "web10", "web11"]],
    ["web[008-011]", ["web008", "web009", "web010", "web011"]],
    ["web[09-10]", ["web09", "web10"]],
    ["web[0-2]", ["web0", "web1", "web2"]],
    ["[1-2].example.com", ["1.example.com", "2.example.com"]],
    ["web[5-5]", ["web5"]],
    ["web1", ["web1"]],
  ];
  for (const [pattern, names] of cases) {
    assert.deepEqual(expandHostPattern(pattern), names, pattern);
  }
});

Deno.test("Ansible's stride takes every n-th number or letter", () => {
  assert.deepEqual(expandHostPattern("web[01:10:3]"), ["web01", "web04", "web07", "web10"]);
  assert.deepEqual(expandHostPattern("web[1:6:2]"), ["web1", "web3", "web5"]);
  assert.deepEqual(expandHostPattern("db-[a:g:3]"), ["db-a", "db-d", "db-g"]);
});

Deno.test("letter ranges run in one case", () => {
  assert.deepEqual(expandHostPattern("db-[a-d]"), ["db-a", "db-b", "db-c", "db-d"]);
  assert.deepEqual(expandHostPattern("db-[X:Z]"), ["db-X", "db-Y", "db-Z"]);
});

Deno.test("several brackets expand left to right, the first varying slowest", () => {
  assert.deepEqual(expandHostPattern("r[1-2]-h[a-b]:2222"), [
    "r1-ha:2222",
    "r1-hb:2222",
    "r2-ha:2222",
    "r2-hb:2222",
  ]);
  assert.equal(countHostPattern("r[1-10]-[a-z]-[01:40:2]"), 10 * 26 * 20);
});

Deno.test("bracketed IPv6 literals and other bracket text are not patterns", () => {
  for (const text of ["[::1]", "[::1]:2222", "[fe80::1]:2222", "[2001:db8::7]", "::1", "h[x]"]) {
    assert.equal(hasHostPattern(text), false, text);
    assert.deepEqual(expandHostPattern(text), [text], text);
  }
  assert.equal(hasHostPattern("web[1-2]"), true);
});

Deno.test("a bad range is a one-line ServerListError naming the pattern", () => {
  const cases: [string, string][] = [
    ["web[5-1]", 'host pattern "web[5-1]": the range 5..1 runs backwards'],
    ["db[c:a]", 'host pattern "db[c:a]": the range c..a runs backwards'],
    [
      "web[1-c]",
      'host pattern "web[1-c]": a range is digits to digits or one letter to one letter ' +
      "of the same case, not 1..c",
    ],
    [
      "web[a-Z]",
      'host pattern "web[a-Z]": a range is digits to digits or one letter to one letter ' +
      "of the same case, not a..Z",
    ],
    [
      "web[aa-zz]",
      'host pattern "web[aa-zz]": a range is digits to digits or one letter to one letter ' +
      "of the same case, not aa..zz",
    ],
    ["web[1:9:0]", 'host pattern "web[1:9:0]": the stride must be at least 1'],
    ["web[1:9:x]", 'host pattern "web[1:9:x]": the stride "x" is not a number'],
    ["web[01-03", 'host pattern "web[01-03": "[" and "]" do not pair up'],
    ["web01-03]", 'host pattern "web01-03]": "[" and "]" do not pair up'],
    [
      "w[1-1234567890123456]",
      'host pattern "w[1-1234567890123456]": a range bound has more than 15 digits',
    ],
  ];
  for (const [pattern, message] of cases) {
    assert.throws(
      () => expandHostPattern(pattern),
      (e: unknown) => e instanceof ServerListError && e.message === message,
      pattern,
    );
  }
});

Deno.test("more names than the limit are refused before any is built", () => {
  assert.equal(MAX_SERVERS, 100_000);
  assert.equal(expandHostPattern("h[1-100000]").length, 100_000);
  const t0 = performance.now();
  assert.throws(
    () => expandHostPattern("h[1-999999999999999]-[1-99999]"),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message === 'host pattern "h[1-999999999999999]-[1-99999]" names more than 100000 ' +
          "servers (the limit)",
  );
  assert.ok(performance.now() - t0 < 100, "counted, not built");
  assert.throws(() => expandHostPattern("h[1-11]", 10), /names more than 10 servers/);
});

Deno.test("a name budget counts every entry of one server list against its limit", () => {
  const budget = new NameBudget(10);
  assert.deepEqual(budget.expand("a[1-4]"), ["a1", "a2", "a3", "a4"]);
  assert.deepEqual(budget.expand("b"), ["b"]);
  assert.deepEqual(budget.expand("c[1-5]").length, 5);
  assert.throws(
    () => budget.expand("d"),
    (e: unknown) =>
      e instanceof ServerListError &&
      e.message === '"d" takes the server list past the limit of 10 servers',
  );
});
