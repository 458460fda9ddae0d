import assert from "node:assert/strict";
import { defaultConfig } from "../core/config.ts";
import { SetupError, UsageError } from "../core/errors.ts";
import type { Program } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import { reloadFlags, reloadPlanner } from "./reload.ts";
import {
  clientSettings,
  loadMatcher,
  querySettings,
  type SettingsEnv,
  targetsOf,
} from "./settings.ts";

await loadMatcher();

const config = defaultConfig(() => undefined);
const env: SettingsEnv = { noColor: false, get: () => undefined };
const flags = (program: Program, ...args: string[]) => new Flags(parseFlags(program, args));

/** A planner whose jobs are the remote runs of a client program. */
function remote(program: Program, ...args: string[]) {
  return reloadPlanner(flags(program, "--servers", "h", ...args), false, (f) => {
    const s = clientSettings(program, f, config, env);
    assert.ok(s.remote);
    return s.run;
  });
}

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError || err instanceof SetupError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("each run takes the reload flags of the Go client's mode", () => {
  assert.deepEqual(reloadFlags("dmap", false), ["query", "files", "plain", "quiet", "timeout"]);
  assert.deepEqual(reloadFlags("dtail", true), reloadFlags("dmap", false));
  assert.deepEqual(reloadFlags("dcat", false), ["files", "plain", "quiet", "timeout"]);
  assert.deepEqual(reloadFlags("dtail", false), reloadFlags("dgrep", false));
  assert.ok(reloadFlags("dgrep", false).includes("invert"));
});

Deno.test("a reload changes the flags it names and keeps the others", () => {
  const p = remote("dgrep", "--grep", "ERROR", "--before", "2", "a.log", "b.log");
  assert.deepEqual(p.current.info, {
    mode: "grep",
    files: ["a.log", "b.log"],
    query: "",
    regex: "ERROR",
    options: "before=2",
    timeout: 0,
  });
  const next = p.plan(["--regex", "WARN", "--after=1", "-files", "c.log", "--timeout", "5"]);
  assert.equal(next.job.pattern, "WARN", "--regex replaces an earlier --grep");
  assert.equal(next.job.before, 2);
  assert.equal(next.job.after, 1);
  assert.deepEqual(next.job.targets, ["c.log"]);
  assert.equal(next.info.timeout, 5);
  assert.equal(next.info.options, "after=1:before=2");
  assert.deepEqual(p.current.info.files, ["a.log", "b.log"], "not before it is accepted");
  p.accept(next);
  const again = p.plan(["--grep", "INFO", "--invert"]);
  assert.equal(again.job.pattern, "INFO");
  assert.equal(again.job.invert, true);
  assert.deepEqual(again.job.targets, ["c.log"]);
});

Deno.test("a reload is refused for what the command line would refuse, and more", () => {
  const p = remote("dgrep", "--grep", "ERROR", "a.log");
  refused(() => p.plan(["--query", "select x"]), /-query cannot be changed by :reload; it takes/);
  refused(() => p.plan(["--servers", "x"]), /-servers cannot be changed/);
  refused(() => p.plan(["--nope"]), /^unknown flag -nope$/);
  refused(() => p.plan(["--before", "1", "x.log"]), /^unexpected arguments: x\.log$/);
  refused(() => p.plan(["--grep"]), /flag -grep needs a value/);
  refused(() => p.plan(["--grep", "a(b"]), /invalid regular expression/);
  refused(() => p.plan(["--max", "-1"]), /-max must not be negative/);
  refused(() => p.plan(["--files", ""]), /no files given/);
  refused(() => p.plan(["-h"]), /:help lists the commands/);
  const cat = remote("dcat", "a.log");
  refused(() => cat.plan(["--grep", "x"]), /it takes -files -plain -quiet -timeout$/);
  assert.equal(cat.plan(["--timeout", "3"]).info.timeout, 3, "dcat takes --timeout, as Go's");
});

Deno.test("a query run reloads its query, also one given as an argument", () => {
  const program = "dtail";
  const f = flags(program, "--servers", "h", "from STATS select count($line)", "a.log");
  const p = reloadPlanner(
    f,
    true,
    (next) => querySettings(program, next, config, env, targetsOf(next)).job,
  );
  assert.equal(p.current.info.query, "from STATS select count($line)");
  assert.equal(p.current.info.regex, "\\|MAPREDUCE:STATS\\|");
  const next = p.plan(["--files", "b.log"]);
  assert.equal(next.job.queryText, "from STATS select count($line)", "the query stays");
  assert.deepEqual(next.job.targets, ["b.log"]);
  const other = p.plan(["--query", "select count($line) from X"]);
  assert.equal(other.info.regex, "\\|MAPREDUCE:X\\|");
  refused(() => p.plan(["--regex", "x"]), /-regex cannot be changed/);
});
