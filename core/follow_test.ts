/**
 * followFile and followGlob resuming from a client's positions (docs/protocol.md#resume). The
 * lossless follow itself is tested through dtail in tests/follow_test.ts.
 */
import assert from "node:assert/strict";
import { followFile, type FollowOptions } from "./follow.ts";
import { followGlob } from "./follow_glob.ts";
import { openRegular } from "./open_file.ts";
import { type FilePosition, markOf } from "./protocol/resume.ts";
import { ResumePoints } from "./resume_points.ts";
import { DirectoryWatchers } from "./waker.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Read {
  readonly ino: number;
  readonly start: number;
  text: string;
}

/** The streams `follow` yields, read until `enough` holds (then the follow is stopped). */
async function collect(
  follow: (options: Omit<FollowOptions, "resume">) => AsyncGenerator<
    AsyncGenerator<Uint8Array> & { origin: { ino: number; start: number } }
  >,
  enough: (reads: Read[]) => boolean,
): Promise<Read[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  const reads: Read[] = [];
  const options = {
    signal: ac.signal,
    open: openRegular,
    watchers: new DirectoryWatchers(ac.signal),
    pollMs: 20,
  };
  for await (const stream of follow(options)) {
    const read = { ino: stream.origin.ino, start: stream.origin.start, text: "" };
    reads.push(read);
    if (enough(reads)) ac.abort();
    for await (const chunk of stream) {
      read.text += decoder.decode(chunk);
      if (enough(reads)) ac.abort();
    }
  }
  clearTimeout(timer);
  assert.ok(enough(reads), `timed out: ${JSON.stringify(reads)}`);
  return reads;
}

async function logDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "dtail-resume-" });
}

function positionOf(path: string, offset?: number): FilePosition {
  const info = Deno.statSync(path);
  const bytes = Deno.readFileSync(path);
  const at = offset ?? info.size;
  const mark = markOf(bytes.subarray(Math.max(0, at - 64), at));
  return { path, dev: info.dev, ino: info.ino!, offset: at, mark };
}

function points(pattern: string, positions: FilePosition[], maxGapBytes = 1 << 20) {
  const notices: string[] = [];
  const resume = new ResumePoints(pattern, positions, {
    maxGapBytes,
    notice: (m) => notices.push(m),
  });
  return { resume, notices };
}

const textOf = (reads: Read[]) => reads.map((r) => r.text).join("");

Deno.test("a followed file resumes at its position instead of its end", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "seen 1\nseen 2\n");
  const position = positionOf(path);
  await Deno.writeTextFile(path, "missed 3\nmissed 4\n", { append: true });
  const { resume, notices } = points(path, [position]);
  const reads = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r).includes("missed 4\n"),
  );
  assert.equal(textOf(reads), "missed 3\nmissed 4\n");
  assert.deepEqual([reads[0]!.ino, reads[0]!.start], [position.ino, position.offset]);
  assert.deepEqual(notices, []);
});

Deno.test("the bytes missed, few or many, come once and in order, then what is written later", async () => {
  for (const missed of [1, 16 * 1024 - 1, 16 * 1024, 100 * 1024]) {
    const dir = await logDir();
    const path = `${dir}/app.log`;
    await Deno.writeTextFile(path, "seen 1\nseen 2\n");
    const position = positionOf(path);
    const gap = "m".repeat(Math.max(0, missed - 1)) + "\n";
    await Deno.writeTextFile(path, gap, { append: true });
    const { resume, notices } = points(path, [position]);
    let appended = false;
    const reads = await collect(
      (o) => followFile(path, { ...o, resume, openFirst: true }),
      (r) => {
        const text = textOf(r);
        if (!appended && text.length >= gap.length) {
          appended = true;
          Deno.writeTextFileSync(path, "later\n", { append: true });
        }
        return text.endsWith("later\n");
      },
    );
    assert.equal(textOf(reads), gap + "later\n", `${missed} bytes missed`);
    assert.equal(reads.length, 1);
    assert.deepEqual([reads[0]!.ino, reads[0]!.start], [position.ino, position.offset]);
    assert.deepEqual(notices, []);
  }
});

Deno.test("a file shorter than its position, or changed before it, is read from its start", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "old line one\nold line two\n");
  const position = positionOf(path);
  await Deno.writeTextFile(path, "new\n"); // truncated (same inode)
  let { resume, notices } = points(path, [position]);
  let reads = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r) === "new\n",
  );
  assert.equal(reads[0]!.start, 0);
  assert.match(notices.join(), /shorter than the position \(4 < 26 bytes\).*from its start/);

  await Deno.writeTextFile(path, "a different and longer content\n"); // regrown past the offset
  ({ resume, notices } = points(path, [position]));
  reads = await collect((o) => followFile(path, { ...o, resume }), (r) => textOf(r).length >= 31);
  assert.equal(textOf(reads), "a different and longer content\n");
  assert.match(notices.join(), /changed before the position.*from its start/);
});

Deno.test("more than maxGapBytes after the position is skipped to a line start, with a notice", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "seen\n");
  const position = positionOf(path);
  const missed = Array.from({ length: 100 }, (_, i) => `missed ${String(i).padStart(3, "0")}\n`);
  await Deno.writeTextFile(path, missed.join(""), { append: true }); // 11 bytes a line
  const { resume, notices } = points(path, [position], 100);
  const reads = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r).includes("missed 099"),
  );
  const kept = missed.slice(-9).join(""); // the last 100 bytes, from the first whole line
  assert.equal(textOf(reads), kept);
  assert.deepEqual(notices, [
    `${path}: skipped ${1100 - kept.length} bytes written while disconnected ` +
    `(more than Server.ResumeMaxGapBytes, 100)`,
  ]);
});

Deno.test("a file rotated away is finished from its position, then the new one read from its start", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "seen\n");
  const position = positionOf(path);
  await Deno.writeTextFile(path, "old missed\n", { append: true });
  await Deno.rename(path, `${path}.1`);
  await Deno.writeTextFile(path, "new 1\nnew 2\n");
  const { resume, notices } = points(path, [position]);
  const reads = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r).includes("new 2\n"),
  );
  assert.deepEqual(reads.map((r) => [r.ino, r.start, r.text]), [
    [position.ino, 5, "old missed\n"],
    [Deno.statSync(path).ino, 0, "new 1\nnew 2\n"],
  ]);
  assert.deepEqual(notices, []);
});

Deno.test("a file deleted while away is told as lost; the one at the path starts at its beginning", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "seen\n");
  const position = positionOf(path);
  using _held = Deno.openSync(path); // the new file cannot get the old inode number
  await Deno.remove(path);
  await Deno.writeTextFile(path, "created again\n");
  let { resume, notices } = points(path, [position]);
  const reads = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r) === "created again\n",
  );
  assert.equal(reads.length, 1);
  assert.match(notices.join(), /rotated or removed while disconnected.*after offset 5 are missing/);

  // A file system may give the new file the old inode number: the mark tells them apart.
  ({ resume, notices } = points(path, [{ ...position, ino: Deno.statSync(path).ino! }]));
  const again = await collect(
    (o) => followFile(path, { ...o, resume }),
    (r) => textOf(r) === "created again\n",
  );
  assert.equal(again[0]!.start, 0);
  assert.match(notices.join(), /changed before the position/);
});

Deno.test("a position never leads to another file than the one followed", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "mine\n");
  const secret = `${dir}/secret`;
  await Deno.writeTextFile(secret, "SECRET\n");
  // The inode of another file under the followed path's name, and a position outside the glob.
  const forged = { ...positionOf(secret, 0), path };
  const outside = positionOf(secret, 0);
  const { resume, notices } = points(path, [forged, outside]);
  const reads = await collect((o) => followFile(path, { ...o, resume }), (r) => textOf(r) !== "");
  assert.equal(textOf(reads), "mine\n");
  assert.match(notices[0]!, /1 position\(s\) name files outside .*app\.log: ignored/);
  assert.match(notices[1]!, /was not found/);
});

Deno.test("a glob resumes a renamed file under its new name and reads new files from their start", async () => {
  const dir = await logDir();
  await Deno.writeTextFile(`${dir}/a.log`, "a seen\n");
  await Deno.writeTextFile(`${dir}/b.log`, "b seen\n");
  const positions = [positionOf(`${dir}/a.log`), positionOf(`${dir}/b.log`)];
  await Deno.writeTextFile(`${dir}/a.log`, "a missed\n", { append: true });
  await Deno.rename(`${dir}/a.log`, `${dir}/c.log`); // still matches the glob
  await Deno.writeTextFile(`${dir}/a.log`, "a new\n");
  await Deno.writeTextFile(`${dir}/b.log`, "b missed\n", { append: true });
  await Deno.writeTextFile(`${dir}/d.log`, "d new\n");
  const { resume, notices } = points(`${dir}/*.log`, positions);
  const ac = new AbortController();
  const texts = new Map<string, string>();
  const done = () => [...texts.values()].join("").split("\n").length > 4;
  const timer = setTimeout(() => ac.abort(), 5000);
  await followGlob(`${dir}/*.log`, {
    signal: ac.signal,
    open: openRegular,
    watchers: new DirectoryWatchers(ac.signal),
    pollMs: 20,
    resume,
  }, async (file) => {
    for await (const stream of file.incarnations) {
      for await (const chunk of stream) {
        texts.set(file.sourceId, (texts.get(file.sourceId) ?? "") + decoder.decode(chunk));
        if (done()) ac.abort();
      }
    }
  });
  clearTimeout(timer);
  assert.deepEqual(Object.fromEntries(texts), {
    "a.log": "a new\n",
    "b.log": "b missed\n",
    "c.log": "a missed\n",
    "d.log": "d new\n",
  });
  assert.deepEqual(notices, []);
});

Deno.test("without positions a follow starts at the end, as always", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "existing\n");
  const reads = await collect((o) => followFile(path, o), (r) => r.length > 0);
  assert.equal(reads[0]!.start, encoder.encode("existing\n").length);
});

Deno.test("a file that is there but refused is told once as refused, not waited for to appear", async () => {
  const dir = await logDir();
  const path = `${dir}/app.log`;
  await Deno.writeTextFile(path, "old\n");
  const ac = new AbortController();
  const notices: string[] = [];
  const refusals: string[] = [];
  let opens = 0;
  const follow = followFile(path, {
    signal: ac.signal,
    // Refused twice (as with too many open files), then opened.
    open: (p) => {
      if (++opens <= 2) throw new Error(`${p}: too many open files`);
      return openRegular(p);
    },
    onRefused: (_p, err) => refusals.push((err as Error).message),
    onNotice: (m) => notices.push(m),
    watchers: new DirectoryWatchers(ac.signal),
    pollMs: 20,
  });
  const first = await follow.next();
  ac.abort();
  await follow.return(undefined);
  assert.equal(first.done, false);
  assert.equal(opens, 3);
  assert.deepEqual(refusals, [`${path}: too many open files`]);
  assert.deepEqual(notices, []);
});

Deno.test("a file that is not there yet is waited for, with one notice", async () => {
  const dir = await logDir();
  const path = `${dir}/later.log`;
  const ac = new AbortController();
  const notices: string[] = [];
  const follow = followFile(path, {
    signal: ac.signal,
    open: openRegular,
    onNotice: (m) => notices.push(m),
    watchers: new DirectoryWatchers(ac.signal),
    pollMs: 20,
  });
  setTimeout(() => Deno.writeTextFileSync(path, "new\n"), 100);
  const first = await follow.next();
  ac.abort();
  await follow.return(undefined);
  assert.equal(first.done, false);
  assert.deepEqual(notices, [`${path}: waiting for the file to appear`]);
});
