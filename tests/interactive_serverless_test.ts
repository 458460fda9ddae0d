/**
 * --interactive-query in serverless mode, driven through a real pseudo-terminal
 * (docs/usage.md#interactive-query-reload): every mode shows, reloads its regex, context, files or
 * query, drops the old run's output, and quits; bad control lines cost one line each.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir, UPSTREAM } from "./helpers.ts";
import { Interactive } from "./interactive_env.ts";
import { KEY, Pty } from "./pty.ts";

const BASE = ["--cfg", "none", "--plain"];

async function logs(): Promise<{ dir: string; a: string; b: string }> {
  const dir = await tempDir();
  const a = `${dir}/a.log`;
  const b = `${dir}/b.log`;
  await Deno.writeTextFile(a, "ERROR one\nWARN two\nINFO three\nERROR four\n");
  await Deno.writeTextFile(b, "ERROR b1\nWARN b2\n");
  return { dir, a, b };
}

function sttyState(path: string): string {
  const out = new Deno.Command("stty", { args: ["-F", path, "-g"], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("dgrep: :show, :help, reloads of the regex, context and files, :quit", async () => {
  const { a, b } = await logs();
  const pty = Pty.open();
  const before = sttyState(pty.slavePath);
  const p = Interactive.start("dgrep", [...BASE, "--regex", "ERROR", "--files", a], { pty });
  try {
    await p.ready();
    await p.waitOut("ERROR one\nERROR four\n");
    assert.equal(
      await p.say(":show", /generation=1\n/),
      `:show\nmode=grep files=${a} query="" regex="ERROR" options="plain=true:quiet=true" ` +
        `timeout=0 capable=1/1\ngeneration=1\n`,
    );
    assert.match(await p.say(":help", /stats"\.\n/), /Use quotes around multi-word values/);
    let at = p.stdout.length;
    await p.say(":reload --regex WARN", "reload applied successfully");
    await p.waitOut("WARN two\n", at);
    at = p.stdout.length;
    await p.say(":reload --grep INFO --before 1 --after 1", "reload applied successfully");
    await p.waitOut("WARN two\nINFO three\nERROR four\n", at);
    at = p.stdout.length;
    await p.say(`:reload --files ${b} --regex ERROR`, "reload applied successfully");
    await p.waitOut("ERROR b1\nWARN b2\n", at); // the context (after 1) stays
    assert.match(
      await p.say(":show", /generation=4\n/),
      new RegExp(`files=${b} query="" regex="ERROR" options="after=1:before=1:plain=true`),
    );
    assert.equal(await p.quit(), 0);
    assert.equal(p.stderr, "");
    assert.equal(sttyState(pty.slavePath), before, "the terminal's mode is restored");
  } finally {
    await p.close();
  }
});

Deno.test("a bad control line costs one line and the run goes on", async () => {
  const { a } = await logs();
  const p = Interactive.start("dgrep", [...BASE, "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    const cases: [string, RegExp][] = [
      [":bogus", /^interactive query error: unknown command ":bogus"$/],
      [":reload", /^interactive query error: reload requires flags to change$/],
      [":reload --regex 'abc", /^interactive query error: unterminated quoted string$/],
      [":reload --regex abc\\", /^interactive query error: unterminated escape sequence$/],
      [":reload --query x", /^interactive query error: -query cannot be changed by :reload/],
      [":reload --servers h", /^interactive query error: -servers cannot be changed by :reload/],
      [":reload --before 1 stray", /^interactive query error: unexpected arguments: stray$/],
      [":reload --regex 'a(b'", /^interactive query error: invalid regular expression "a\(b"/],
      [":reload --max ten", /^interactive query error: invalid value "ten" for flag -max/],
      [":reload --before -1", /^interactive query error: -before must not be negative$/],
      [":reload --bogus", /^interactive query error: unknown flag -bogus$/],
    ];
    for (const [line, reply] of cases) {
      const lines = (await p.say(line, /\n(?:interactive query error|reload failed)[^\n]*\n/))
        .split("\n").filter((l) => l !== "");
      assert.equal(lines.length, 2, `${line}: ${JSON.stringify(lines)}`);
      assert.equal(lines[0], line);
      assert.match(lines[1]!, reply, line);
    }
    assert.match(await p.say(":show", /generation=\d+\n/), /regex="ERROR".*\ngeneration=1\n/);
    assert.equal(await p.quit(), 0);
    assertNoStackTrace(p.stderr);
  } finally {
    await p.close();
  }
});

Deno.test("dtail: after a reload nothing of the old regex is printed", async () => {
  const { a } = await logs();
  const p = Interactive.start("dtail", [...BASE, "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    await p.appendUntil(a, (n) => [`ERROR old-${n}`, `WARN old-${n}`], /ERROR old-\d+\n/, 0);
    await p.say(":reload --regex WARN", "reload applied successfully");
    const at = p.stdout.length;
    await p.appendUntil(a, (n) => [`ERROR new-${n}`, `WARN new-${n}`], /WARN new-\d+\n/, at);
    assert.match(p.stdout.slice(at), /^(?:WARN new-\d+\n)+$/);
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
  }
});

Deno.test("dcat: a reload of the files; its filters cannot be reloaded", async () => {
  const { a, b } = await logs();
  const p = Interactive.start("dcat", [...BASE, a]);
  try {
    await p.ready();
    await p.waitOut("ERROR four\n");
    assert.match(
      await p.say(":show", /generation=1\n/),
      new RegExp(`mode=cat files=${a} query="" regex="" options="plain=true:quiet=true" `),
    );
    assert.match(
      await p.say(":reload --grep x", /error[^\n]*\n/),
      /-grep cannot be changed by :reload; it takes -files -plain -quiet -timeout/,
    );
    const at = p.stdout.length;
    await p.say(`:reload --files ${b}`, "reload applied successfully");
    await p.waitOut("ERROR b1\nWARN b2\n", at);
    // The run stays open after its files: it ends with :quit.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
  }
});

const QUERY = "from STATS select count($line) group by $hostname interval 1";
const QUERY2 = "from STATS select max(lifetimeConnections) group by $hostname interval 1";

Deno.test("dmap: a reload of the query replaces the result", async () => {
  const p = Interactive.start("dmap", [...BASE, "--query", QUERY, `${UPSTREAM}/mapr_testdata.log`]);
  try {
    await p.ready();
    await p.waitOut(/count\(\$line\)\s*\n-+\s*\n\s*597/);
    assert.match(
      await p.say(":show", /generation=1\n/),
      /mode=map files=.*mapr_testdata\.log query="from STATS select count\(\$line\) group by \$hostname interval 1" regex="\\\\\|MAPREDUCE:STATS\\\\\|"/,
    );
    assert.match(
      await p.say(":reload --regex x", /error[^\n]*\n/),
      /-regex cannot be changed by :reload; it takes -query -files -plain -quiet -timeout/,
    );
    assert.match(
      await p.say(":reload --query 'select bogus('", /error[^\n]*\n/),
      /interactive query error: /,
    );
    // The old run printed its result; the new one may print before the reply shows.
    const at = p.stdout.length;
    await p.say(`:reload --query '${QUERY2}'`, "reload applied successfully");
    await p.waitOut(/max\(lifetimeConnections\)\s*\n-+\s*\n\s*6\.000000/, at);
    assert.ok(!p.stdout.slice(at).includes("count($line)"), p.stdout.slice(at));
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
  }
});

Deno.test("dtail --query: a reload of a streaming query", async () => {
  const { a } = await logs();
  const query = "from STATS select count($line) group by $hostname interval 1";
  const p = Interactive.start("dtail", [...BASE, "--query", query, "--files", a]);
  try {
    await p.ready();
    const stats = (n: number) =>
      Array.from(
        { length: n },
        () =>
          "INFO|1002-071947|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|currentConnections=0|lifetimeConnections=3",
      );
    await p.appendUntil(a, () => stats(3), /count\(\$line\)\s*\n-+\s*\n\s*\d+\s/, 0);
    await p.say(
      ":reload --query 'from STATS select max(lifetimeConnections) group by $hostname interval 1'",
      "reload applied successfully",
    );
    const at = p.stdout.length;
    await p.appendUntil(
      a,
      () => stats(2),
      /max\(lifetimeConnections\)\s*\n-+\s*\n\s*3\.000000/,
      at,
    );
    assert.ok(!p.stdout.slice(at).includes("count($line)"), p.stdout.slice(at));
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
  }
});

Deno.test("line editing: arrows, Backspace, Ctrl-A/E, history and Ctrl-R", async () => {
  const { a } = await logs();
  const p = Interactive.start("dgrep", [...BASE, "--regex", "ERROR", "--files", a]);
  try {
    await p.ready();
    // ":shw", Left, "o": ":show".
    await p.type(`:shw${KEY.left}o${KEY.enter}`, /generation=1\n/);
    // A typo fixed with Backspace, and Ctrl-A to insert at the start: ":reload --regex WARN".
    await p.type(
      `reload --regex WARX${KEY.backspace}N${KEY.ctrlA}:${KEY.ctrlE}${KEY.enter}`,
      "reload applied successfully",
    );
    // Up twice brings back ":show".
    await p.type(`${KEY.up}${KEY.up}${KEY.enter}`, /regex="WARN"[^\n]*\ngeneration=2/);
    // Ctrl-R "gex" finds the reload; Right ends the search; edit it to INFO.
    await p.type(
      `${KEY.ctrlR}gex${KEY.right}${KEY.backspace.repeat(4)}INFO${KEY.enter}`,
      "reload applied successfully",
    );
    assert.match(await p.say(":show", /generation=\d\n/), /regex="INFO"[^\n]*\ngeneration=3/);
    assert.equal(await p.quit(), 0);
  } finally {
    await p.close();
  }
});

Deno.test("a missing or closed control terminal is one line and exit 2", async () => {
  const { a } = await logs();
  const gone = Pty.open();
  const path = gone.slavePath;
  await gone.close();
  for (const tty of ["/nonexistent/tty", path]) {
    const r = await run("dgrep", [
      ...BASE,
      "--interactive-query",
      "--control-tty",
      tty,
      "--regex",
      "ERROR",
      a,
    ]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^dgrep: cannot (?:open|use) the control terminal /);
    assertNoStackTrace(r.stderr);
  }
});

Deno.test("the end of the control input ends the run, as :quit does", async () => {
  const { a } = await logs();
  const args = ["--interactive-query", "--control-tty", "/dev/null", "--regex", "ERROR", a];
  const r = await run("dgrep", [...BASE, ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
});

Deno.test("a signal ends an interactive run and the terminal's mode is restored", async () => {
  const { a } = await logs();
  const pty = Pty.open();
  const before = sttyState(pty.slavePath);
  const p = Interactive.start("dtail", [...BASE, "--regex", "ERROR", a], { pty });
  try {
    await p.ready();
    assert.notEqual(sttyState(pty.slavePath), before, "raw mode while it runs");
    p.pty.type(":sh"); // a line half typed
    await new Promise((r) => setTimeout(r, 200));
    p.child.kill("SIGTERM");
    assert.equal(await p.exit(), 0);
    assert.equal(sttyState(pty.slavePath), before);
    assert.equal(p.stderr, "");
  } finally {
    await p.close();
  }
});
