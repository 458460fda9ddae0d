import assert from "node:assert/strict";
import { buildReadCommand, CommandError, parseCommand } from "./commands.ts";

Deno.test("read commands build like the Go client's examples", () => {
  assert.equal(
    buildReadCommand({
      verb: "tail",
      options: { plain: "true", quiet: "true" },
      path: "/var/log/app.log",
      regex: { flag: "default", literal: true, pattern: "ERROR" },
    }),
    "tail:plain=true:quiet=true /var/log/app.log regex:default,literal ERROR",
  );
  assert.equal(
    buildReadCommand({
      verb: "cat",
      options: {},
      path: "/var/log/x",
      regex: { flag: "noop", literal: false, pattern: "" },
    }),
    "cat: /var/log/x regex:noop ",
  );
  assert.throws(
    () =>
      buildReadCommand({
        verb: "cat",
        options: {},
        path: "/a b",
        regex: { flag: "noop", literal: false, pattern: "" },
      }),
    CommandError,
  );
});

Deno.test("read commands parse back, patterns with spaces included", () => {
  const c = parseCommand("grep:after=3:before=2 /var/log/*.log regex:default took [0-9]+ ms");
  assert.equal(c.kind, "read");
  if (c.kind !== "read") return;
  assert.equal(c.verb, "grep");
  assert.deepEqual(c.options, { after: "3", before: "2" });
  assert.equal(c.path, "/var/log/*.log");
  assert.equal(c.regex.pattern, "took [0-9]+ ms");
});

Deno.test("the timeout form, acks, AUTHKEY, health and unknown commands are recognised", () => {
  const t = parseCommand("timeout 15 tail /var/log/app.log regex:default,literal WARN");
  assert.ok(t.kind === "read" && t.timeout === 15 && t.verb === "tail");
  assert.equal(parseCommand("timeout 999999 cat /x regex:noop ").kind, "read");
  assert.ok(
    (parseCommand("timeout 999999 cat /x regex:noop ") as { timeout: number }).timeout === 86400,
  );
  assert.throws(() => parseCommand("timeout soon cat /x regex:noop "), CommandError);
  for (const bad of ["1.0", "0x10", "1e3"]) {
    assert.throws(() => parseCommand(`timeout ${bad} cat /x regex:noop `), CommandError, bad);
  }
  assert.equal((parseCommand("timeout -5 cat /x regex:noop ") as { timeout: number }).timeout, 0);
  assert.deepEqual(parseCommand(".ack close connection"), { kind: "ack-close" });
  assert.deepEqual(parseCommand("AUTHKEY AAAA"), { kind: "authkey", key: "AAAA" });
  assert.deepEqual(parseCommand("health"), { kind: "health" });
  assert.deepEqual(parseCommand("frobnicate a b"), {
    kind: "unknown",
    name: "frobnicate",
    args: ["a", "b"],
  });
  assert.throws(() => parseCommand("cat:"), CommandError);
});
