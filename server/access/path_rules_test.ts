import assert from "node:assert/strict";
import {
  checkRules,
  parseRule,
  permissionRuleProblem,
  permissionsProblem,
  precompileRules,
  rulesFor,
} from "./path_rules.ts";

Deno.test("parseRule splits at the first colon, as Go DTail does", () => {
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
  assert.deepEqual(parseRule("readfiles:^/x/co:lon"), {
    type: "readfiles",
    deny: false,
    regex: "^/x/co:lon",
  });
  // Go reads the text before the first ':' as the type, whatever it is.
  assert.deepEqual(parseRule("![[:digit:]]"), { type: "![[", deny: false, regex: "digit:]]" });
  assert.deepEqual(parseRule("^/x/co:lon"), { type: "^/x/co", deny: false, regex: "lon" });
  assert.deepEqual(parseRule(":^/x"), { type: "", deny: false, regex: "^/x" });
});

Deno.test("a rule with ':' in its regex grants what it grants in Go DTail, never more", () => {
  // Observed with the Go dserver (4.3.2-ng): these untyped rules grant nothing…
  assert.equal(checkRules(["^/x/co:lon/"], "/x/co:lon/a.log").ok, false);
  assert.equal(checkRules(["^/x/[[:alpha:]]+/"], "/x/abc/a.log").ok, false);
  assert.equal(checkRules([":^/x/"], "/x/abc/a.log").ok, false);
  // …an untyped deny rule with a ':' denies nothing…
  assert.equal(checkRules(["^/x/", "!^/x/co:lon/"], "/x/co:lon/a.log").ok, true);
  // …and with the type spelled out the whole rest is the regex.
  assert.equal(checkRules(["readfiles:^/x/co:lon/"], "/x/co:lon/a.log").ok, true);
  assert.equal(checkRules(["readfiles:^/x/[[:alpha:]]+/"], "/x/abc/a.log").ok, true);
  assert.equal(checkRules(["readfiles:^/x/[[:alpha:]]+/"], "/x/x1/a.log").ok, false);
  assert.equal(checkRules(["readfiles:^/x/", "readfiles:!^/x/co:lon/"], "/x/co:lon/a").ok, false);
  assert.equal(checkRules(["readfiles:readfiles:^/x/"], "/x/abc/a.log").ok, false);
});

Deno.test("permissionRuleProblem refuses a rule whose text before the first ':' is no type", () => {
  for (
    const rule of ["^/var/log/", "readfiles:^/x/co:lon", "journal:.*", "other:!a:b", "x-y_1:z"]
  ) {
    assert.equal(permissionRuleProblem(rule), null, rule);
  }
  assert.equal(
    permissionRuleProblem("^/x/co:lon"),
    `would be ignored: its type is "^/x/co", the text before the first ':' (as in Go DTail); ` +
      `to match paths write "readfiles:^/x/co:lon"`,
  );
  for (const rule of ["[[:alpha:]]", "!^/x:y", "/var/log/a:b", "(?i:abc)", " readfiles:x"]) {
    assert.match(permissionRuleProblem(rule) ?? "", /^would be ignored: its type is /, rule);
  }
  assert.equal(
    permissionRuleProblem(":^/x"),
    "would be ignored: its type, the text before the first ':', is empty",
  );
});

Deno.test("permissionsProblem names the first refused rule and where it is", () => {
  const ok = { Default: ["^/var/log/"], Users: { alice: ["readfiles:^/a:b"] } };
  assert.equal(permissionsProblem(ok), null);
  assert.match(
    permissionsProblem({ Default: ["^/var/log/"], Users: { alice: ["^/", "[[:alpha:]]"] } }) ??
      "",
    /^Server\.Permissions\.Users\.alice\[1\] rule "\[\[:alpha:\]\]" would be ignored: /,
  );
  assert.match(
    permissionsProblem({ Default: ["^/a:b"], Users: {} }) ?? "",
    /^Server\.Permissions\.Default\[0\] rule "\^\/a:b" would be ignored: /,
  );
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
  const alpha = "readfiles:\\A/var/log/[[:alpha:]]+\\.log\\z";
  assert.equal(checkRules([alpha], "/var/log/app.log").ok, true);
  assert.equal(checkRules([alpha], "/var/log/app1.log").ok, false);
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

Deno.test("precompileRules names each rule whose regex does not compile, with its place", () => {
  assert.deepEqual(precompileRules({ Default: ["^/var/", "journal:!.*"], Users: {} }), []);
  assert.deepEqual(
    precompileRules({
      Default: ["^/var/", "!([unclosed"],
      Users: { bob: ["readfiles:^/srv/", "^/(var)/\\1"], "a b": ["x{1001}"] },
    }),
    [
      'Server.Permissions.Default[1] rule "!([unclosed" has a bad regex: it denies every path of its type',
      'Server.Permissions.Users.bob[1] rule "^/(var)/\\\\1" has a bad regex: it denies every path of its type',
      'Server.Permissions.Users["a b"][0] rule "x{1001}" has a bad regex: it denies every path of its type',
    ],
  );
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
