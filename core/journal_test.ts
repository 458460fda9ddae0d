/**
 * Journal targets against tests/fixtures/fake_journalctl (run directly as `program`, with what it
 * does in `env`): spec validation, argv, stdout as chunks, stderr as notices, the restart of a
 * follow, and the end of journalctl on a stop (also one that ignores SIGTERM).
 */
import * as assert from "node:assert/strict";
import {
  isJournalTarget,
  journalArgs,
  journalAvailable,
  type JournalOptions,
  type JournalRun,
  journalRuns,
  JournalSpecError,
  journalUnit,
} from "./journal.ts";
import { errorKind } from "./errors.ts";

const FAKE = new URL("../tests/fixtures/fake_journalctl", import.meta.url).pathname;
const dec = new TextDecoder();

interface Fake {
  readonly dir: string;
  readonly log: string;
  /** The runs so far: pid and arguments of each. */
  runs(): Promise<{ pid: number; args: string }[]>;
}

async function fake(): Promise<Fake> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-journal-" });
  const log = `${dir}/log`;
  return {
    dir,
    log,
    async runs() {
      const text = await Deno.readTextFile(log).catch(() => "");
      return text.split("\n").filter((l) => l !== "").map((l) => {
        const space = l.indexOf(" ");
        return { pid: Number(l.slice(0, space)), args: l.slice(space + 1) };
      });
    },
  };
}

function options(
  f: Fake,
  env: Record<string, string>,
  more: Partial<JournalOptions> & { notices?: string[] } = {},
): JournalOptions {
  const notices = more.notices ?? [];
  return {
    follow: false,
    signal: new AbortController().signal,
    onNotice: (m) => notices.push(m),
    program: FAKE,
    env: { FAKE_JOURNALCTL_LOG: f.log, ...env },
    retryMs: 50,
    ...more,
  };
}

async function readAll(run: JournalRun): Promise<string> {
  let text = "";
  for await (const chunk of run) text += dec.decode(chunk, { stream: true });
  return text;
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT"); // harmless; throws once the process is gone
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a journal spec names a unit: not empty, no option, no whitespace or control characters", () => {
  assert.equal(journalUnit("journal:ssh.service"), "ssh.service");
  assert.equal(journalUnit("journal:user@1000.service"), "user@1000.service");
  for (const bad of ["journal:", "journal:-f", "journal:--all", "journal:a b", "journal:a\tb"]) {
    assert.throws(() => journalUnit(bad), JournalSpecError, bad);
  }
  assert.throws(() => journalUnit("journal:a\u0001b"), /"journal:a\\u0001b": invalid journal/);
  assert.throws(() => journalUnit("journal:a\u00a0b"), /whitespace or control/);
  assert.equal(errorKind(new JournalSpecError("x")), "input");
  assert.ok(isJournalTarget("journal:x"));
  assert.ok(!isJournalTarget("/var/log/journal:x"));
});

Deno.test("shell metacharacters in a unit are literal: one argv entry, no shell", async () => {
  const f = await fake();
  const spec = "journal:a;b|c&$(touch${IFS}pwned)`id`>x";
  assert.equal(journalUnit(spec), "a;b|c&$(touch${IFS}pwned)`id`>x");
  const runs = journalRuns(spec, { ...options(f, {}), program: FAKE });
  for await (const run of runs) await readAll(run);
  assert.deepEqual((await f.runs()).map((r) => r.args), ["-u a;b|c&$(touch${IFS}pwned)`id`>x"]);
  await assert.rejects(Deno.stat("pwned"));
  await assert.rejects(Deno.stat(`${f.dir}/x`));
});

Deno.test("journalctl is run with -u, and -f -n 0 when following", () => {
  assert.deepEqual(journalArgs("ssh.service", false), ["-u", "ssh.service"]);
  assert.deepEqual(journalArgs("ssh.service", true), ["-u", "ssh.service", "-f", "-n", "0"]);
});

Deno.test("a time range asks journalctl for the whole seconds around it", () => {
  const range = { since: 1_733_395_200_500, until: 1_733_398_800_001 };
  assert.deepEqual(journalArgs("a.service", false, range), [
    ...["-u", "a.service", "--since", "@1733395200", "--until", "@1733398801"],
  ]);
  assert.deepEqual(journalArgs("a.service", false, { since: -Infinity, until: 2_000 }), [
    ...["-u", "a.service", "--until", "@2"],
  ]);
  // A follow prints from the start, then follows; --until does not bound a follow.
  assert.deepEqual(journalArgs("a.service", true, range), [
    ...["-u", "a.service", "-f", "-n", "all", "--since", "@1733395200"],
  ]);
  assert.deepEqual(journalArgs("a.service", true, { since: -Infinity, until: 5_000 }), [
    ...["-u", "a.service", "-f", "-n", "0"],
  ]);
  // journalctl refuses times before 1970 or after 9999: such a bound is no bound for it.
  assert.deepEqual(journalArgs("a.service", false, { since: -3.6e17, until: 8e15 }), [
    ...["-u", "a.service"],
  ]);
  assert.deepEqual(journalArgs("a.service", false, { since: -Infinity, until: -5_000 }), [
    ...["-u", "a.service", "--until", "@0"],
  ]);
});

Deno.test("journals are available on Linux with an executable journalctl on PATH only", async () => {
  const dir = await Deno.makeTempDir();
  const empty = await Deno.makeTempDir();
  await Deno.symlink(FAKE, `${dir}/journalctl`);
  assert.ok(journalAvailable(`${empty}:${dir}`, "linux"));
  assert.ok(!journalAvailable(`${empty}:${dir}`, "darwin"));
  assert.ok(!journalAvailable(empty, "linux"));
  assert.ok(!journalAvailable("", "linux"));
  await Deno.writeTextFile(`${empty}/journalctl`, "#!/bin/sh\n", { mode: 0o644 });
  await Deno.chmod(`${empty}/journalctl`, 0o644);
  assert.ok(!journalAvailable(empty, "linux"), "not executable");
});

Deno.test("a read once yields journalctl's stdout and tells each stderr line as a notice", async () => {
  const f = await fake();
  const notices: string[] = [];
  const runs = journalRuns(
    "journal:app.service",
    options(f, {
      FAKE_JOURNALCTL_STDOUT: "one\\ntwo ü\\nthree\\n",
      FAKE_JOURNALCTL_STDERR: "first warning\\nsecond warning\\r\\n",
    }, { notices }),
  );
  let text = "";
  let count = 0;
  for await (const run of runs) {
    text += await readAll(run);
    count++;
  }
  assert.equal(count, 1);
  assert.equal(text, "one\ntwo ü\nthree\n");
  assert.deepEqual(notices, [
    "journalctl stderr: first warning",
    "journalctl stderr: second warning",
  ]);
  assert.deepEqual((await f.runs()).map((r) => r.args), ["-u app.service"]);
});

Deno.test("a read once of a journalctl that fails throws after its output", async () => {
  const f = await fake();
  const runs = journalRuns(
    "journal:app.service",
    options(f, {
      FAKE_JOURNALCTL_STDOUT: "partial output\\n",
      FAKE_JOURNALCTL_EXIT: "3",
    }),
  );
  const first = await runs.next();
  assert.ok(!first.done);
  assert.equal(await readAll(first.value), "partial output\n");
  await assert.rejects(runs.next(), (err: Error) => {
    assert.equal(errorKind(err), "input");
    assert.equal(err.message, "journal:app.service: journalctl exited with status 3");
    return true;
  });
});

Deno.test("a missing journalctl is one clear error of the read", async () => {
  const runs = journalRuns("journal:app.service", {
    follow: true,
    signal: new AbortController().signal,
    onNotice: () => {},
    program: "dtail-test-no-such-journalctl",
  });
  await assert.rejects(runs.next(), (err: Error) => {
    assert.equal(errorKind(err), "input");
    assert.equal(
      err.message,
      "journal:app.service: cannot run dtail-test-no-such-journalctl: not found on PATH",
    );
    return true;
  });
});

Deno.test("a bad spec fails the read before anything is run", async () => {
  const f = await fake();
  const runs = journalRuns("journal:-o", options(f, {}));
  await assert.rejects(runs.next(), JournalSpecError);
  assert.deepEqual(await f.runs(), []);
});

Deno.test("nothing is run until the runs are asked for", async () => {
  const f = await fake();
  const runs = journalRuns("journal:app.service", options(f, {}));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await f.runs(), []);
  await runs.return(undefined);
  assert.deepEqual(await f.runs(), []);
});

Deno.test("a follow runs journalctl again after it exits, retryMs later, until the stop", async () => {
  const f = await fake();
  const follow = `${f.dir}/follow`;
  await Deno.writeTextFile(follow, "old\n");
  const stop = new AbortController();
  const notices: string[] = [];
  const runs = journalRuns(
    "journal:app.service",
    options(f, {
      FAKE_JOURNALCTL_STDOUT: "boot\\n",
      FAKE_JOURNALCTL_STDERR: "going down\\n",
      FAKE_JOURNALCTL_EXIT: "1",
      FAKE_JOURNALCTL_EXIT_RUNS: "2",
      FAKE_JOURNALCTL_FOLLOW: follow,
    }, { follow: true, signal: stop.signal, retryMs: 150, notices }),
  );
  const texts: string[] = [];
  let seen = "";
  const started = Date.now();
  const reading = (async () => {
    for await (const run of runs) {
      let text = "";
      for await (const chunk of run) {
        text += dec.decode(chunk);
        seen += dec.decode(chunk);
      }
      texts.push(text);
    }
  })();
  await waitFor("the third run", async () => (await f.runs()).length === 3);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 300, `two waits of 150 ms before the third run, not ${elapsed} ms`);
  // Printed after the fake took the follow file's size: what is appended now is new to it.
  await waitFor("the third run's output", () => seen === "boot\nboot\nboot\n");
  await Deno.writeTextFile(follow, "new entry\n", { append: true });
  await waitFor("the new entry", () => seen.endsWith("new entry\n"));
  stop.abort();
  await reading;
  const runsSeen = await f.runs();
  assert.deepEqual(runsSeen.map((r) => r.args), Array(3).fill("-u app.service -f -n 0"));
  assert.deepEqual(texts.slice(0, 2), ["boot\n", "boot\n"]);
  assert.equal(texts.length, 3);
  assert.equal(texts[2], "boot\nnew entry\n");
  assert.deepEqual(notices.filter((n) => n.includes("exited")), [
    "journal:app.service: journalctl exited with status 1, running it again in 150 ms",
    "journal:app.service: journalctl exited with status 1, running it again in 150 ms",
  ]);
  assert.equal(notices.filter((n) => n === "journalctl stderr: going down").length, 3);
  assert.ok(!alive(runsSeen[2]!.pid));
});

Deno.test("a stop ends a journalctl that ignores SIGTERM with SIGKILL 200 ms later", async () => {
  const f = await fake();
  const stop = new AbortController();
  const runs = journalRuns(
    "journal:app.service",
    options(f, {
      FAKE_JOURNALCTL_IGNORE_TERM: "1",
      FAKE_JOURNALCTL_STDOUT: "hello\\n",
    }, { follow: true, signal: stop.signal }),
  );
  const first = await runs.next();
  assert.ok(!first.done);
  const chunk = await first.value.next();
  assert.equal(dec.decode(chunk.value as Uint8Array), "hello\n");
  const { pid } = (await f.runs())[0]!;
  const t0 = Date.now();
  stop.abort();
  assert.ok((await first.value.next()).done);
  assert.ok((await runs.next()).done);
  const took = Date.now() - t0;
  assert.ok(!alive(pid), "killed");
  assert.ok(took >= 180, `SIGTERM ignored, so SIGKILL after 200 ms (took ${took} ms)`);
  assert.ok(took < 2000, `not much later (took ${took} ms)`);
});

Deno.test("a consumer that stops early ends the running journalctl", async () => {
  const f = await fake();
  const runs = journalRuns(
    "journal:app.service",
    options(f, {
      FAKE_JOURNALCTL_STDOUT: "first\\n",
    }, { follow: true }),
  );
  const first = await runs.next();
  assert.ok(!first.done);
  await first.value.next();
  const { pid } = (await f.runs())[0]!;
  assert.ok(alive(pid));
  await first.value.return(undefined);
  await runs.return(undefined);
  assert.ok(!alive(pid));
});

Deno.test("a follow stopped before its output is read still ends journalctl", async () => {
  const f = await fake();
  const stop = new AbortController();
  const runs = journalRuns(
    "journal:app.service",
    options(f, {}, { follow: true, signal: stop.signal }),
  );
  const first = await runs.next();
  assert.ok(!first.done);
  await waitFor("journalctl to start", async () => (await f.runs()).length === 1);
  stop.abort();
  assert.equal(await readAll(first.value), "");
  assert.ok((await runs.next()).done);
  assert.ok(!alive((await f.runs())[0]!.pid));
});

Deno.test("a follow with a start asks for it in its first run only, then follows from the end", async () => {
  const f = await fake();
  const stop = new AbortController();
  const runs = journalRuns(
    "journal:app.service",
    options(f, { FAKE_JOURNALCTL_STDOUT: "entry\\n", FAKE_JOURNALCTL_EXIT: "1" }, {
      follow: true,
      range: { since: 1_733_395_200_000, until: Infinity },
      signal: stop.signal,
      retryMs: 20,
    }),
  );
  let printed = "";
  for await (const run of runs) {
    printed += await readAll(run);
    if ((await f.runs()).length === 3) stop.abort();
  }
  assert.deepEqual((await f.runs()).map((r) => r.args), [
    "-u app.service -f -n all --since @1733395200",
    "-u app.service -f -n 0",
    "-u app.service -f -n 0",
  ]);
  assert.equal(printed, "entry\nentry\nentry\n");
});
