/**
 * dtail follows files losslessly: every appended line exactly once, in order per file
 * (docs/compatibility.md#lossless-follow).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { append, assertExactlyOnceInOrder, Follower, numbered } from "./follower.ts";

async function setup(): Promise<{ dir: string; path: string }> {
  const dir = await tempDir("dtail-follow-");
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "old line that must not be printed\n");
  return { dir, path };
}

Deno.test("dtail prints lines appended after it started, not the existing ones", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const lines = numbered("append", 0, 3000);
  for (let i = 0; i < lines.length; i += 300) await append(path, lines.slice(i, i + 300));
  await f.waitFor((l) => l.includes("append 2999"), "the last line");
  assert.equal(await f.stop(), 0);
  assert.ok(!f.lines.includes("old line that must not be printed"));
  assertExactlyOnceInOrder(f.payload(), lines);
});

Deno.test("dtail delivers a line written in two parts once, when it is complete", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  await Deno.writeTextFile(path, "first half ", { append: true });
  await new Promise((r) => setTimeout(r, 50));
  await Deno.writeTextFile(path, "second half\n", { append: true });
  await f.waitFor((l) => l.includes("first half second half"), "the joined line");
  await f.stop();
  assert.deepEqual(f.payload(), ["first half second half"]);
});

Deno.test("dtail finishes a rename-rotated file and then follows the new one", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const before = numbered("before", 0, 500);
  const after = numbered("after", 0, 500);
  await append(path, before);
  const old = await Deno.open(path, { append: true });
  await Deno.rename(path, `${path}.1`);
  // The writer still has the old file open for a moment after the rename.
  await old.write(new TextEncoder().encode("late line in old file\n"));
  old.close();
  await append(path, after);
  await f.waitFor((l) => l.includes("after 499"), "the last line of the new file");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), [...before, "late line in old file"]);
  assertExactlyOnceInOrder(f.payload(), after);
});

Deno.test("dtail survives several rotations in a row", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const all: string[] = [];
  for (let round = 0; round < 5; round++) {
    const lines = numbered(`round-${round}`, 0, 200);
    all.push(...lines);
    await append(path, lines.slice(0, 100));
    // Each file lives at the path for a moment, as log files do between rotations; part of its
    // lines arrive after it was renamed, from a writer that has not reopened yet.
    await new Promise((r) => setTimeout(r, 30));
    await Deno.rename(path, `${path}.${round}`);
    await append(`${path}.${round}`, lines.slice(100));
  }
  const last = numbered("final", 0, 10);
  await append(path, last);
  await f.waitFor((l) => l.includes("final 9"), "the final line");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), [...all, ...last]);
});

Deno.test("dtail starts again at the top after copy-truncate", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const before = numbered("before", 0, 300);
  await append(path, before);
  await f.waitFor((l) => l.includes("before 299"), "lines before the rotation");
  await Deno.copyFile(path, `${path}.1`);
  await Deno.truncate(path, 0);
  const after = numbered("after", 0, 300);
  await append(path, after);
  await f.waitFor((l) => l.includes("after 299"), "lines after the truncation");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), [...before, ...after]);
});

Deno.test("dtail notices a truncation even when the file grows past the old size at once", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  await append(path, ["short before"]);
  await f.waitFor((l) => l.includes("short before"), "the first line");
  // Truncate and write more than was there before, in one step, before dtail can look.
  const regrown = numbered("regrown line with some padding", 0, 2000);
  await Deno.writeTextFile(path, regrown.join("\n") + "\n");
  await f.waitFor((l) => l.includes("regrown line with some padding 1999"), "the regrown lines");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), ["short before", ...regrown]);
});

Deno.test("dtail follows a file that is deleted and created again", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  await append(path, ["before delete"]);
  await f.waitFor((l) => l.includes("before delete"), "the line before the delete");
  await Deno.remove(path);
  await new Promise((r) => setTimeout(r, 100));
  const again = numbered("recreated", 0, 100);
  await append(path, again);
  await f.waitFor((l) => l.includes("recreated 99"), "the re-created file's lines");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), ["before delete", ...again]);
});

Deno.test("dtail waits for a file that does not exist yet and reads it from its start", async () => {
  const dir = await tempDir("dtail-follow-");
  const path = `${dir}/later.log`;
  const f = new Follower([path]);
  // Created only once dtail runs and waits for it (start-up takes seconds on a loaded machine).
  const deadline = Date.now() + 20_000;
  while (!/waiting for the file to appear/.test(f.stderr) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const lines = numbered("later", 0, 50);
  await append(path, lines);
  await f.waitFor((l) => l.includes("later 49"), "the new file's lines");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), lines);
  assert.match(f.stderr, /waiting for the file to appear/);
});

Deno.test("dtail picks up files that start matching the glob while it runs", async () => {
  const { dir, path } = await setup();
  const f = new Follower([`${dir}/*.log`]);
  await f.ready(path);
  const fresh = numbered("fresh file", 0, 100);
  await append(`${dir}/new.log`, fresh);
  await append(`${dir}/ignored.txt`, ["not matching the glob"]);
  await f.waitFor((l) => l.includes("fresh file 99"), "the new file's lines");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), fresh);
  assert.ok(!f.lines.includes("not matching the glob"));
});

Deno.test("dtail with a glob that matches rotated names reads no line twice", async () => {
  const { dir, path } = await setup();
  const f = new Follower([`${dir}/app.log*`]);
  await f.ready(path);
  const before = numbered("before", 0, 400);
  await append(path, before);
  await Deno.rename(path, `${path}.1`);
  const after = numbered("after", 0, 400);
  await append(path, after);
  await f.waitFor((l) => l.includes("after 399"), "the new file's lines");
  await new Promise((r) => setTimeout(r, 1500)); // give a re-scan the chance to duplicate
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), before);
  assertExactlyOnceInOrder(f.payload(), after);
});

Deno.test("dtail skips a compressed file logrotate makes beside the log, and says so", async () => {
  const { dir, path } = await setup();
  const f = new Follower([`${dir}/app.log*`]);
  await f.ready(path);
  await append(path, ["before the rotation"]);
  // logrotate with compress: the old content, gzipped, appears whole next to the log.
  const gzip = new Deno.Command("gzip", { args: ["-c", path], stdout: "piped" }).outputSync();
  await Deno.writeFile(`${path}.1.gz`, gzip.stdout);
  await Deno.writeTextFile(path, "");
  await append(path, ["after the rotation"]);
  await f.waitFor((l) => l.includes("after the rotation"), "the line after the rotation");
  await new Promise((r) => setTimeout(r, 1200)); // a re-scan finds the .gz again
  await f.stop();
  assert.deepEqual(f.payload(), ["before the rotation", "after the rotation"]);
  const told = f.stderr.split("\n").filter((l) => l.includes("compressed, not followed"));
  assert.deepEqual(told, [
    `dtail: ${path}.1.gz: compressed, not followed (dcat and dgrep read it)`,
  ]);
});

Deno.test("dtail follows several files and labels each line with its source", async () => {
  const { dir } = await setup();
  for (const name of ["a", "b"]) await Deno.writeTextFile(`${dir}/${name}.log`, "");
  const f = new Follower(["--files", `${dir}/a.log,${dir}/b.log`]);
  await f.ready(`${dir}/a.log`);
  await f.ready(`${dir}/b.log`);
  const a = numbered("from a", 0, 200);
  const b = numbered("from b", 0, 200);
  await Promise.all([append(`${dir}/a.log`, a), append(`${dir}/b.log`, b)]);
  await f.waitFor((l) => l.includes("from a 199") && l.includes("from b 199"), "both files");
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), a);
  assertExactlyOnceInOrder(f.payload(), b);
});

Deno.test("dtail filters followed lines with --grep", async () => {
  const { path } = await setup();
  const f = new Follower(["--grep", "ERROR|ready", path]);
  await f.ready(path);
  await append(path, ["INFO fine", "ERROR broken", "DEBUG noise", "ERROR again"]);
  await f.waitFor((l) => l.includes("ERROR again"), "the second error");
  await f.stop();
  assert.deepEqual(f.payload(), ["ERROR broken", "ERROR again"]);
});

Deno.test("dtail --timeout ends the run by itself with status 0", async () => {
  const { path } = await setup();
  const started = Date.now();
  const f = new Follower(["--timeout", "1", path]);
  assert.equal(await f.exited(), 0);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 8000, `took ${took} ms`);
});

Deno.test("dtail --shutdownAfter ends the run by itself with status 0", async () => {
  const { path } = await setup();
  const f = new Follower(["--shutdownAfter", "1", path]);
  assert.equal(await f.exited(), 0);
});

Deno.test("SIGINT ends dtail cleanly and nothing written before it is lost", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const lines = numbered("before interrupt", 0, 1000);
  await append(path, lines);
  await f.waitFor((l) => l.includes("before interrupt 999"), "all lines");
  assert.equal(await f.stop("SIGINT"), 0);
  assert.equal(f.stderr, "");
  assertExactlyOnceInOrder(f.payload(), lines);
});

Deno.test("dtail of a 100,000-line burst delivers every line once", async () => {
  const { path } = await setup();
  const f = new Follower([path]);
  await f.ready(path);
  const burst = numbered("burst", 0, 100_000);
  await append(path, burst);
  await f.waitFor((l) => l.length > 0 && l[l.length - 1] === "burst 99999", "the burst", 20_000);
  await f.stop();
  assertExactlyOnceInOrder(f.payload(), burst);
});

/** A file whose every read fails with EIO (sysfs), where the machine has one. */
function eioFile(): string | null {
  try {
    for (const dev of Deno.readDirSync("/sys/devices/virtual/bdi")) {
      const path = `/sys/devices/virtual/bdi/${dev.name}/power/autosuspend_delay_ms`;
      try {
        Deno.readFileSync(path);
      } catch (err) {
        if ((err as Error).message.includes("os error 5")) return path;
      }
    }
  } catch {
    // no sysfs
  }
  return null;
}
const EIO_FILE = eioFile();
if (EIO_FILE === null) console.log("skipped: no file here fails to read with EIO");

Deno.test({
  name: "a followed file whose first read fails is one line naming it, not an internal error",
  ignore: EIO_FILE === null,
  async fn() {
    const r = await run("dtail", ["--plain", "--cfg", "none", EIO_FILE!]);
    assertNoStackTrace(r.stderr);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^dtail: ${EIO_FILE}: input/output error\n`));
  },
});
