import assert from "node:assert/strict";
import { checkRules, parseRule, rulesFor } from "./path_rules.ts";

Deno.test("parseRule defaults the type to readfiles and takes a word before a colon as the type", () => {
  assert.deepEqual(parseRule("^/var/log/"), {
    type: "readfiles",
    deny: false,
    regex: "^/var/log/",
  });
  assert.deepEqual(parseRule("readfiles:!\\.gz$"), {
    type: "readfiles",
    deny: true,
    regex: "\\.gz$",
  });
  assert.deepEqual(parseRule("other:a:b"), { type: "other", deny: false, regex: "a:b" });
  assert.deepEqual(parseRule("![[:digit:]]"), {
    type: "readfiles",
    deny: true,
    regex: "[[:digit:]]",
  });
});

Deno.test("checkRules allows a path one allow rule matches, unanchored", () => {
  assert.deepEqual(checkRules(["^/tmp/", "log"], "/var/log/app.log"), { ok: true, rule: "log" });
});

Deno.test("checkRules lets a deny rule beat an allow rule whatever the order", () => {
  for (const rules of [["^/var/", "!secret"], ["!secret", "^/var/"]]) {
    assert.deepEqual(checkRules(rules, "/var/log/secret.log"), {
      ok: false,
      reason: "/var/log/secret.log matches deny rule !secret",
    });
    assert.equal(checkRules(rules, "/var/log/public.log").ok, true);
  }
});

Deno.test("checkRules denies when no rule matches, and for an empty list", () => {
  assert.deepEqual(checkRules(["^/tmp/"], "/etc/passwd"), {
    ok: false,
    reason: "/etc/passwd matches no allow rule",
  });
  assert.equal(checkRules([], "/etc/passwd").ok, false);
  assert.equal(checkRules(["!^/etc/"], "/var/log/x").ok, false);
});

Deno.test("checkRules ignores rules of other types", () => {
  assert.equal(checkRules(["journal:.*"], "/var/log/x").ok, false);
  assert.equal(checkRules(["journal:!.*", "readfiles:^/var/"], "/var/log/x").ok, true);
});

Deno.test("checkRules denies on a bad regex instead of throwing", () => {
  assert.deepEqual(checkRules(["^/var/", "([unclosed"], "/var/log/x"), {
    ok: false,
    reason: "bad regex in permission rule ([unclosed",
  });
  assert.equal(checkRules(["(?x)/var"], "/var/log/x").ok, false);
});

Deno.test("checkRules understands RE2 syntax", () => {
  assert.equal(checkRules(["(?i)^/VAR/LOG/"], "/var/log/x").ok, true);
  assert.equal(checkRules(["\\A/var/log/[[:alpha:]]+\\.log\\z"], "/var/log/app.log").ok, true);
  assert.equal(checkRules(["\\A/var/log/[[:alpha:]]+\\.log\\z"], "/var/log/app1.log").ok, false);
});

Deno.test("a rule regex runs in linear time, however it backtracks", () => {
  const path = `/var/log/${"a".repeat(30)}!`;
  const t0 = performance.now();
  assert.equal(checkRules(["^/var/log/(a+)+$"], path).ok, false);
  assert.equal(checkRules(["^/var/log/(a+)+!$"], path).ok, true);
  assert.equal(checkRules(["^/var/", "!(.+)+[#%]"], `/var/log/${"x".repeat(200)}`).ok, true);
  assert.ok(performance.now() - t0 < 1000, `${Math.round(performance.now() - t0)} ms`);
});

Deno.test("a rule with syntax RE2 refuses (lookaround, backreference) denies", () => {
  for (const rule of ["(?<=/var)/log/", "^/var/(?!secret)", "^/(var)/\\1"]) {
    assert.deepEqual(checkRules([rule], "/var/log/x"), {
      ok: false,
      reason: `bad regex in permission rule ${rule}`,
    }, rule);
  }
});

Deno.test("rulesFor gives a configured user their own rules, replacing Default", () => {
  const permissions = {
    Default: ["^/.*"],
    Users: { alice: ["^/var/log/"], bob: [] as string[] },
  };
  assert.deepEqual(rulesFor(permissions, "alice"), ["^/var/log/"]);
  assert.deepEqual(rulesFor(permissions, "bob"), []);
  assert.deepEqual(rulesFor(permissions, "carol"), ["^/.*"]);
  assert.deepEqual(rulesFor(permissions, "constructor"), ["^/.*"]);
  assert.deepEqual(rulesFor(permissions, "__proto__"), ["^/.*"]);
});
