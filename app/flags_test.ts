import assert from "node:assert/strict";
import { defaultOf, FLAGS, flagsOf, PROGRAMS } from "./flag_table.ts";
import { UsageError } from "../core/errors.ts";
import { Flags, parseFlags } from "./flags.ts";

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `got ${err}`);
    assert.match(err.message, pattern);
    return true;
  });
}

Deno.test("parseFlags treats -name and --name alike", () => {
  for (const form of ["-grep", "--grep"]) {
    const p = parseFlags("dgrep", [form, "ERR", "f.log"]);
    assert.equal(p.values.grep, "ERR", form);
    assert.deepEqual(p.positionals, ["f.log"]);
    assert.ok(p.given.has("grep"));
  }
});

Deno.test("parseFlags takes values as -name v and -name=v", () => {
  const a = parseFlags("dgrep", ["-max", "3", "--before=2", "-grep=a=b", "--regex", "-x"]);
  assert.equal(a.values.max, 3);
  assert.equal(a.values.before, 2);
  assert.equal(a.values.grep, "a=b");
  assert.equal(a.values.regex, "-x", "a value may start with a dash");
  assert.equal(parseFlags("dgrep", ["-grep="]).values.grep, "");
});

Deno.test("parseFlags sets booleans only by -bool or -bool=value", () => {
  assert.equal(parseFlags("dcat", ["-plain"]).values.plain, true);
  for (const v of ["1", "t", "T", "true", "TRUE", "True"]) {
    assert.equal(parseFlags("dcat", [`-plain=${v}`]).values.plain, true, v);
  }
  for (const v of ["0", "f", "F", "false", "FALSE", "False"]) {
    assert.equal(parseFlags("dcat", [`--plain=${v}`]).values.plain, false, v);
  }
  // "-plain false": the bool is set and "false" is the first positional.
  const p = parseFlags("dcat", ["-plain", "false", "-quiet"]);
  assert.equal(p.values.plain, true);
  assert.equal(p.values.quiet, false);
  assert.deepEqual(p.positionals, ["false", "-quiet"]);
  usage(
    () => parseFlags("dcat", ["-plain=maybe"]),
    /invalid boolean value "maybe" for flag -plain/,
  );
});

Deno.test("parseFlags stops at the first positional argument", () => {
  const p = parseFlags("dgrep", ["-grep", "x", "a.log", "-max", "1", "b.log"]);
  assert.deepEqual(p.positionals, ["a.log", "-max", "1", "b.log"]);
  assert.equal(p.values.max, 0);
  assert.equal(p.dashDash, false);
  // A lone "-" (stdin) is a positional too.
  assert.deepEqual(parseFlags("dcat", ["-", "-plain"]).positionals, ["-", "-plain"]);
});

Deno.test("parseFlags ends the flags at --", () => {
  const p = parseFlags("dcat", ["-plain", "--", "-odd-name.log", "--", "x"]);
  assert.equal(p.values.plain, true);
  assert.deepEqual(p.positionals, ["-odd-name.log", "--", "x"]);
  assert.equal(p.dashDash, true);
});

Deno.test("parseFlags rejects unknown flags, including other programs' flags", () => {
  usage(() => parseFlags("dcat", ["--bogus"]), /^unknown flag -bogus$/);
  usage(() => parseFlags("dcat", ["-grep", "x"]), /^unknown flag -grep$/);
  usage(() => parseFlags("dserver", ["-files", "x"]), /^unknown flag -files$/);
  usage(() => parseFlags("dcat", ["-Plain"]), /unknown flag -Plain/);
});

Deno.test("parseFlags rejects bad flag syntax", () => {
  for (const arg of ["---plain", "-=x", "--=x"]) {
    usage(() => parseFlags("dcat", [arg]), /^bad flag syntax/);
  }
});

Deno.test("parseFlags needs a value for a non-boolean flag", () => {
  usage(() => parseFlags("dgrep", ["-grep"]), /^flag -grep needs a value$/);
  usage(() => parseFlags("dgrep", ["-f", "x", "--max"]), /unknown flag -f/);
  usage(() => parseFlags("dgrep", ["--max"]), /^flag -max needs a value$/);
});

Deno.test("parseFlags reads integers like Go's strconv.ParseInt with base 0", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["42", 42],
    ["-7", -7],
    ["+7", 7],
    ["0x1F", 31],
    ["0X1f", 31],
    ["010", 8],
    ["0o17", 15],
    ["0b101", 5],
  ];
  for (const [raw, want] of cases) {
    assert.equal(parseFlags("dgrep", ["-max", raw]).values.max, want, raw);
  }
  for (const raw of ["ten", "1.5", "", "0x", "12a", "99999999999999999999"]) {
    usage(
      () => parseFlags("dgrep", ["-max", raw]),
      /invalid value .* for flag -max: not an integer/,
    );
  }
});

Deno.test("parseFlags lets a later flag win over an earlier one", () => {
  const p = parseFlags("dgrep", ["-max", "1", "--max=5"]);
  assert.equal(p.values.max, 5);
});

Deno.test("parseFlags reports -h, -help and --help", () => {
  for (const arg of ["-h", "--h", "-help", "--help"]) {
    assert.equal(parseFlags("dcat", [arg, "f"]).help, true, arg);
  }
  assert.equal(parseFlags("dcat", ["f", "--help"]).help, false, "after a positional it is a file");
  assert.equal(parseFlags("dcat", []).help, false);
});

Deno.test("parseFlags fills in the program's defaults", () => {
  const dtail = parseFlags("dtail", []);
  assert.equal(dtail.values.shutdownAfter, 86400);
  assert.equal(dtail.values.regex, ".");
  assert.equal(dtail.values.logger, "fout");
  assert.equal(dtail.values.port, 2222);
  assert.equal(dtail.values.agentKeyIndex, -1);
  assert.equal(dtail.given.size, 0);
  const dserver = parseFlags("dserver", []);
  assert.equal(dserver.values.shutdownAfter, 0);
  assert.equal(dserver.values.logger, "file");
  assert.equal(dserver.values.logDir, "");
  const health = parseFlags("dtailhealth", []);
  assert.equal(health.values.logger, "none");
  assert.equal(health.values.logLevel, "none");
  assert.equal(Object.hasOwn(parseFlags("dcat", []).values, "grep"), false);
});

Deno.test("Flags gives typed access and tells which flags were given", () => {
  const f = new Flags(parseFlags("dgrep", ["-grep", "x", "-invert", "-max", "2"]));
  assert.equal(f.str("grep"), "x");
  assert.equal(f.bool("invert"), true);
  assert.equal(f.int("max"), 2);
  assert.equal(f.int("before"), 0);
  assert.equal(f.given("grep"), true);
  assert.equal(f.given("before"), false);
});

Deno.test("the flag table is consistent", () => {
  const names = new Set<string>();
  for (const f of FLAGS) {
    assert.ok(!names.has(f.name), `duplicate flag ${f.name}`);
    names.add(f.name);
    assert.ok(f.programs.length > 0, f.name);
    for (const program of PROGRAMS) {
      if (!f.programs.includes(program)) continue;
      const def = defaultOf(f, program);
      const want = f.type === "int" ? "number" : f.type === "bool" ? "boolean" : "string";
      assert.equal(typeof def, want, `${program} -${f.name}`);
    }
    assert.ok(f.name !== "h" && f.name !== "help", "help is built in");
  }
  for (const program of PROGRAMS) {
    assert.ok(flagsOf(program).some((f) => f.name === "version"), program);
  }
  // Every client flag of docs/compatibility.md#client-flags exists.
  const dtail = new Set(flagsOf("dtail").map((f) => f.name));
  for (
    const name of ["files", "servers", "regex", "grep", "before", "after", "max", "plain", "cfg"]
  ) {
    assert.ok(dtail.has(name), name);
  }
});

Deno.test("integer flags follow Go's base-0 syntax", () => {
  const max = (raw: string) => new Flags(parseFlags("dgrep", ["--max", raw])).int("max");
  assert.equal(max("010"), 8);
  assert.equal(max("0x10"), 16);
  assert.equal(max("-3"), -3);
  for (const bad of ["08", "_1", "1_000", "1.5", ""]) {
    assert.throws(() => max(bad), UsageError, bad);
  }
});

Deno.test("--json is a boolean of the four clients only", () => {
  for (const program of ["dtail", "dcat", "dgrep", "dmap"] as const) {
    assert.equal(parseFlags(program, ["--json"]).values.json, true, program);
    assert.equal(parseFlags(program, []).values.json, false, program);
  }
  usage(() => parseFlags("dserver", ["--json"]), /unknown flag -json/);
  usage(() => parseFlags("dtailhealth", ["-json"]), /unknown flag -json/);
});
