import assert from "node:assert/strict";
import { errorKind } from "../core/errors.ts";
import { openRegular } from "../core/open_file.ts";
import { SourceError } from "../core/source_error.ts";
import { OutfileIsInputError, regularFileOf, WrittenFiles } from "./output_guard.ts";

async function twoFiles(): Promise<{ dir: string; a: string; b: string }> {
  const dir = await Deno.makeTempDir({ prefix: "output-guard-" });
  await Deno.writeTextFile(`${dir}/a.log`, "a\n");
  await Deno.writeTextFile(`${dir}/b.log`, "b\n");
  return { dir, a: `${dir}/a.log`, b: `${dir}/b.log` };
}

function identity(path: string) {
  const info = Deno.statSync(path);
  return { dev: info.dev, ino: info.ino! };
}

Deno.test("the file standard output writes to is refused as one source's error", async () => {
  const { a, b } = await twoFiles();
  let looks = 0;
  const open = new WrittenFiles({
    stdout: () => {
      looks++;
      return identity(a);
    },
  }).opener(openRegular);
  assert.throws(
    () => open(a),
    (err: unknown) =>
      err instanceof SourceError && err.message === `${a}: input file is also the output`,
  );
  const other = open(b);
  other.file.close();
  assert.equal(other.pin.ino, Deno.statSync(b).ino);
  assert.equal(looks, 1, "standard output is looked at once");
});

Deno.test("without a regular file as output every file opens", async () => {
  const { a } = await twoFiles();
  let looks = 0;
  const open = new WrittenFiles({
    stdout: () => {
      looks++;
      return null;
    },
  }).opener(openRegular);
  for (let i = 0; i < 3; i++) open(a).file.close();
  assert.equal(looks, 1, "a null answer is kept, not asked again");
});

Deno.test("an outfile that came to be one of the files opened stops the run", async () => {
  const { dir, a, b } = await twoFiles();
  const written = new WrittenFiles({ outfile: `${dir}/out.csv`, stdout: () => null });
  const open = written.opener(openRegular);
  open(a).file.close(); // no outfile yet
  await Deno.link(b, `${dir}/out.csv`); // the outfile is b.log now
  open(a).file.close();
  assert.throws(
    () => open(b),
    (err: unknown) =>
      err instanceof OutfileIsInputError && errorKind(err) === "setup" &&
      err.message === `cannot write outfile "${dir}/out.csv": it is ${b}, a file the query reads`,
  );
});

Deno.test("an outfile named by a path or matched by a glob of the targets is refused before any read", async () => {
  const { dir, a, b } = await twoFiles();
  const glob = { maxTargets: 100, maxDirs: 100 };
  await new WrittenFiles({ outfile: `${dir}/new.csv` }).checkTargets([a, `${dir}/*.log`], glob); // not there yet
  await new WrittenFiles({ outfile: a }).checkTargets([b, "-"], glob);
  await assert.rejects(
    new WrittenFiles({ outfile: a }).checkTargets([b, a], glob),
    (err: unknown) => err instanceof OutfileIsInputError && err.message.includes(`it is ${a},`),
  );
  await assert.rejects(
    new WrittenFiles({ outfile: `${dir}/./b.log` }).checkTargets([`${dir}/*.log`], glob),
    (err: unknown) => err instanceof OutfileIsInputError && err.message.includes(`it is ${b},`),
  );
});

Deno.test("a terminal, a pipe or /dev/null on a descriptor is not a regular file", () => {
  // The test runner's standard input is /dev/null, a pipe or a terminal: never a regular file.
  if (!Deno.statSync("/proc/self/fd/0").isFile) assert.equal(regularFileOf(0), null);
  assert.equal(regularFileOf(987654), null, "a closed descriptor");
});

Deno.test("standard input that is the file standard output writes to is refused before it is read", async () => {
  const { a, b } = await twoFiles();
  const written = new WrittenFiles({ stdout: () => identity(a) });
  let reads = 0;
  async function* content() {
    reads++;
    yield new Uint8Array([0x61, 0x0a]);
  }
  await assert.rejects(
    written.stdin(content, () => identity(a))().next(),
    (err: unknown) =>
      err instanceof SourceError && err.message === "stdin: input file is also the output",
  );
  assert.equal(reads, 0);
  const other = written.stdin(content, () => identity(b))();
  assert.deepEqual((await other.next()).value, new Uint8Array([0x61, 0x0a]));
  const piped = written.stdin(content, () => null)(); // a pipe or a terminal
  assert.equal((await piped.next()).done, false);
});

Deno.test("the run's --resume state file is refused as one source's error", async () => {
  const { dir, a, b } = await twoFiles();
  const open = new WrittenFiles({ stateFile: `${dir}/state.json`, stdout: () => null }).opener(
    openRegular,
  );
  open(a).file.close(); // no state file yet
  await Deno.rename(b, `${dir}/state.json`);
  assert.throws(
    () => open(`${dir}/state.json`),
    (err: unknown) =>
      err instanceof SourceError &&
      err.message === `${dir}/state.json: is the --resume state file of this run`,
  );
  open(a).file.close();
});
