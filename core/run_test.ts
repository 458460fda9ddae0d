/**
 * followFiles on a dserver's terms (`openFirst`): each file's first open is the open it is read
 * from, so the checked open is paid once per file, and a file that open refuses is reported at
 * once and not followed. The lossless follow itself is tested through dtail (tests/follow_test.ts).
 */
import assert from "node:assert/strict";
import { compileMatcher } from "./matcher.ts";
import { type OpenedFile, openRegular } from "./open_file.ts";
import type { FilePosition } from "./protocol/resume.ts";
import { ResumePoints } from "./resume_points.ts";
import { followFiles, type FollowFilesOptions, loadFollowStage, type RunResult } from "./run.ts";
import type { Sink } from "./sink.ts";
import { SourceError } from "./source_error.ts";
import { DirectoryWatchers } from "./waker.ts";

const decoder = new TextDecoder();

interface Follow {
  readonly notices: string[];
  readonly lines: Map<string, string[]>;
  readonly positions: Map<string, FilePosition>;
  readonly opens: Map<string, number>;
  readonly unreadable: [string, unknown][];
  readonly stop: () => Promise<RunResult>;
}

/** Follows `target` with a counting `open` that refuses the paths in `refused`. */
function follow(
  target: string,
  options: { refused?: string[]; resume?: (pattern: string) => ResumePoints } = {},
): Follow {
  const ac = new AbortController();
  const lines = new Map<string, string[]>();
  const positions = new Map<string, FilePosition>();
  const opens = new Map<string, number>();
  const unreadable: [string, unknown][] = [];
  const notices: string[] = [];
  const sink: Sink = {
    selection: (sel, sourceId) => {
      const r = sel.regions;
      for (let i = 0; i < r.length; i += 2) {
        const text = decoder.decode(sel.batch.bytes.subarray(r[i]!, r[i + 1]!)).trimEnd();
        lines.set(sourceId, [...lines.get(sourceId) ?? [], text]);
      }
    },
  };
  const opts: FollowFilesOptions = {
    filter: { matcher: compileMatcher("") },
    signal: ac.signal,
    glob: { maxTargets: 100, maxDirs: 10 },
    open: (path): OpenedFile => {
      opens.set(path, (opens.get(path) ?? 0) + 1);
      if (options.refused?.includes(path)) throw new SourceError(`${path}: permission denied`);
      return openRegular(path);
    },
    content: () => {
      throw new Error("a follow reads no file whole");
    },
    onUnreadable: (path, err) => unreadable.push([path, err]),
    onLongLine: () => {},
    onNotice: (message) => notices.push(message),
    watchers: new DirectoryWatchers(ac.signal),
    onRefused: () => {},
    openFirst: true,
    onPosition: (p) => positions.set(p.path, p),
    ...(options.resume ? { resume: options.resume(target) } : {}),
  };
  const done = followFiles([target], sink, opts);
  return {
    notices,
    lines,
    positions,
    opens,
    unreadable,
    stop: async () => {
      ac.abort();
      return await done;
    },
  };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(predicate(), `timed out waiting for ${what}`);
}

async function logFiles(names: string[]): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-run-" });
  const paths = names.map((n) => `${dir}/${n}`);
  for (const path of paths) await Deno.writeTextFile(path, "old\n");
  return { dir, paths };
}

const append = (path: string, text: string) => Deno.writeTextFile(path, text, { append: true });

Deno.test("each followed file is opened once at the start and read from that open", async () => {
  const { dir, paths } = await logFiles(["a.log", "b.log", "c.log"]);
  const f = follow(`${dir}/*.log`);
  try {
    await until(() => f.positions.size === 3, "the start positions");
    for (const path of paths) await append(path, "new\n");
    await until(() => [...f.lines.values()].flat().length === 3, "a line of each file");
    assert.deepEqual(Object.fromEntries(f.opens), Object.fromEntries(paths.map((p) => [p, 1])));
    assert.deepEqual([...f.lines.values()], [["new"], ["new"], ["new"]]);
  } finally {
    assert.deepEqual(await f.stop(), { ok: 3, failed: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a resumed file is opened once too, and continues at its position", async () => {
  const { dir, paths } = await logFiles(["a.log", "b.log"]);
  const first = follow(`${dir}/*.log`);
  await until(() => first.positions.size === 2, "the start positions");
  await first.stop();
  const known = [...first.positions.values()];
  for (const path of paths) await append(path, "missed\n");
  const f = follow(`${dir}/*.log`, {
    resume: (pattern) =>
      new ResumePoints(pattern, known, { maxGapBytes: 1 << 20, notice: () => {} }),
  });
  try {
    await until(() => [...f.lines.values()].flat().length === 2, "the missed lines");
    assert.deepEqual([...f.lines.values()], [["missed"], ["missed"]]);
    assert.deepEqual([...f.opens.values()], [1, 1]);
  } finally {
    await f.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file the first open refuses is reported with the opener's error and not followed", async () => {
  const { dir, paths } = await logFiles(["a.log", "b.log"]);
  const f = follow(`${dir}/*.log`, { refused: [paths[0]!] });
  try {
    await until(() => f.positions.size === 1, "the start position of the other file");
    await append(paths[0]!, "secret\n");
    await append(paths[1]!, "open\n");
    await until(() => f.lines.size === 1, "a line of the other file");
    assert.equal(f.unreadable.length, 1);
    assert.equal(f.unreadable[0]![0], paths[0]);
    assert.ok(f.unreadable[0]![1] instanceof SourceError);
    assert.equal((f.unreadable[0]![1] as Error).message, `${paths[0]}: permission denied`);
    assert.deepEqual([...f.lines.values()], [["open"]]);
    assert.deepEqual([...f.positions.keys()], [paths[1]]);
  } finally {
    assert.deepEqual(await f.stop(), { ok: 1, failed: 1 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing file named without a glob is reported at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-run-" });
  const f = follow(`${dir}/missing.log`);
  try {
    await until(() => f.unreadable.length === 1, "the report");
    assert.match((f.unreadable[0]![1] as Error).message, /no such file or directory/);
  } finally {
    assert.deepEqual(await f.stop(), { ok: 0, failed: 1 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the follow stage's modules load once, whoever asks first", async () => {
  const first = loadFollowStage();
  assert.equal(loadFollowStage(), first);
  const [follow, glob, position, select] = await first;
  assert.equal(typeof follow.followFile, "function");
  assert.equal(typeof glob.followGlob, "function");
  assert.equal(typeof position.PositionTracker, "function");
  assert.equal(typeof select.followSelectInto, "function");
});

Deno.test("a compressed file is not followed: named, it fails; matched by a glob, it is told once", async () => {
  const { dir, paths } = await logFiles(["app.log", "app.log.1.gz", "app.log.2.zst"]);
  const named = follow(paths[1]!);
  const globbed = follow(`${dir}/app.log*`);
  try {
    await until(() => named.unreadable.length === 1, "the named file's report");
    assert.equal(
      (named.unreadable[0]![1] as Error).message,
      `${paths[1]}: compressed, not followed (dcat and dgrep read it)`,
    );
    assert.deepEqual([...named.opens.keys()], [], "never opened");
    await until(() => globbed.positions.size === 1, "the plain file's start position");
    // logrotate's compress: a new .gz appears, whole, beside the plain file.
    await Deno.writeFile(`${dir}/app.log.3.gz`, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]));
    await append(paths[0]!, "new\n");
    await until(() => globbed.lines.size === 1, "the plain file's line");
    await until(() => globbed.notices.length === 3, "a notice for each compressed file");
    await new Promise((r) => setTimeout(r, 1200)); // a rescan finds them again: no new notice
    assert.deepEqual(globbed.notices.sort(), [
      `${dir}/app.log.1.gz: compressed, not followed (dcat and dgrep read it)`,
      `${dir}/app.log.2.zst: compressed, not followed (dcat and dgrep read it)`,
      `${dir}/app.log.3.gz: compressed, not followed (dcat and dgrep read it)`,
    ]);
    assert.deepEqual([...globbed.lines.values()], [["new"]]);
    assert.deepEqual([...globbed.opens.keys()], [paths[0]], "only the plain file is opened");
  } finally {
    assert.deepEqual(await named.stop(), { ok: 0, failed: 1 });
    assert.deepEqual(await globbed.stop(), { ok: 1, failed: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});
