/**
 * Damaged .gz and .zst files: every whole line that decodes before the damage is printed, then
 * one line names the file and the byte offset of the damage, and the exit status says the run was
 * partial (3: the file failed, its good part was printed): serverless, for small files and large
 * ones (4 MiB and more: streamed, and on a worker when only fzstd is at hand), and over SSH in plain
 * and labelled output.
 * See docs/decisions.md, "Damaged compressed files".
 */
import assert from "node:assert/strict";
import { PARALLEL_MIN_BYTES } from "../core/decompress_parallel.ts";
import { ZstdFrameSplitter } from "../core/zstd_frames.ts";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { concatBytes } from "../core/bytes.ts";

type Kind = "gzip" | "zstd";
const enc = new TextEncoder();
const EXT: Record<Kind, string> = { gzip: "gz", zstd: "zst" };

async function compress(kind: Kind, data: Uint8Array): Promise<Uint8Array> {
  const args = kind === "gzip" ? ["-c"] : ["-q", "-c"];
  const child = new Deno.Command(kind, { args, stdin: "piped", stdout: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([child.output(), writer.write(data).then(() => writer.close())]);
  assert.equal(out.code, 0);
  return out.stdout;
}

/** Log lines; `random` makes them compress only to about half (large compressed files). */
function lines(first: number, count: number, random = false): string {
  const out: string[] = [];
  const noise = new Uint8Array(24);
  for (let i = first; i < first + count; i++) {
    if (random) crypto.getRandomValues(noise);
    const tail = random ? Array.from(noise, (b) => b.toString(16).padStart(2, "0")).join("") : "";
    out.push(`2024-05-01 12:00:00 INFO line=${i} status=${i % 7} ${tail}\n`);
  }
  return out.join("");
}

interface Damaged {
  path: string;
  kind: Kind;
  /** What dcat --plain must print: the whole lines before the damage. */
  good: string;
  /** A cut file: `good` is the members before the cut; what decodes of the cut one follows. */
  cut: boolean;
  /** The text of all members, intact. */
  all: string;
  /** The exact message after "<path>: ". */
  message: string;
}

/** Writes world-readable damaged files (the test server runs as another user). */
async function makeFiles(dir: string, big: boolean): Promise<Damaged[]> {
  const count = big ? 80_000 : 10_000;
  const parts = [lines(0, count, big), lines(count, count, big), lines(2 * count, count, big)];
  const files: Damaged[] = [];
  for (const kind of ["gzip", "zstd"] as const) {
    const members = await Promise.all(parts.map((p) => compress(kind, enc.encode(p))));
    const whole = concatBytes(...members);
    const all = parts.join("");
    const add = async (label: string, bytes: Uint8Array, good: string, message: string) => {
      const path = `${dir}/${label}${big ? "-big" : ""}.log.${EXT[kind]}`;
      await Deno.writeFile(path, bytes, { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      const cut = label === "cut";
      files.push({
        path,
        kind,
        good,
        cut,
        all,
        message: `corrupt ${kind} data at byte ${message}`,
      });
    };
    await add(
      "junk",
      concatBytes(whole, enc.encode("junk")),
      all,
      `${whole.length} (trailing garbage)`,
    );
    await add(
      "between",
      concatBytes(members[0]!, enc.encode("junk!junk"), members[1]!, members[2]!),
      parts[0]!,
      `${members[0]!.length} (trailing garbage)`,
    );
    // Cut in the last member: the first two are printed, and what decodes of the third up to
    // its last whole line (see assertGood).
    const cut = members[0]!.length + members[1]!.length + (members[2]!.length >> 1);
    await add(
      "cut",
      whole.subarray(0, cut),
      parts[0]! + parts[1]!,
      `${cut} (unexpected end of file)`,
    );
    if (kind === "zstd") {
      // A damaged block in the middle of the 2nd frame (its last byte, which ends the sequences'
      // bit stream, made 0): the whole blocks before it are printed. Deno 2.9 threw this one
      // uncaught too when the block was decoded after the first 256 KiB of a write's output.
      const blocks = new ZstdFrameSplitter("x").push(members[1]!).filter((p) => !p.frameEnd);
      const index = blocks.length >> 1;
      assert.ok(index >= 2, `${blocks.length} blocks`);
      const block = blocks[index]!;
      const broken = whole.slice();
      broken[members[0]!.length + block.offset + block.bytes.length - 1] = 0;
      const decoded = parts[1]!.slice(0, index * 128 * 1024);
      await add(
        "block",
        broken,
        parts[0]! + decoded.slice(0, decoded.lastIndexOf("\n") + 1),
        `${members[0]!.length + block.block} (data corruption detected)`,
      );
      // A wrong checksum: the frame's text is printed (unverified, as gzip does for a CRC), then
      // the error. Deno 2.9 threw this one uncaught, which ended dcat and dserver with a trace.
      const bad = whole.slice();
      const at = members[0]!.length + members[1]!.length - 4;
      bad[at + 1] = bad[at + 1]! ^ 1;
      await add(
        "checksum",
        bad,
        parts[0]! + parts[1]!,
        `${at} (restored data doesn't match checksum)`,
      );
    }
    if (big) assert.ok(whole.length >= PARALLEL_MIN_BYTES, `${whole.length} bytes`);
  }
  return files;
}

/** stdout is the good part: exactly, or for a cut file whole lines of the text from there on. */
function assertGood(stdout: string, f: Damaged): void {
  if (f.cut) {
    assert.ok(stdout.startsWith(f.good), `${f.path}: the whole members before the cut`);
    assert.ok(f.all.startsWith(stdout), `${f.path}: lines that are not in the file`);
    assert.ok(stdout.length > f.good.length, `${f.path}: nothing of the cut member`);
    assert.ok(stdout.endsWith("\n"), `${f.path}: a partial last line`);
  } else assert.equal(stdout, f.good, f.path);
}

for (const big of [false, true]) {
  const size = big ? "4 MiB and more" : "small";
  Deno.test(`serverless dcat prints the good part of damaged ${size} files, then one line`, async () => {
    const dir = await tempDir();
    try {
      const files = await makeFiles(dir, big);
      for (const f of files) {
        const r = await run("dcat", ["--cfg", "none", "--plain", f.path]);
        assert.equal(r.code, 3, `${f.path}: ${r.stderr}`);
        assertNoStackTrace(r.stderr);
        assert.equal(r.stderr, `dcat: ${f.path}: ${f.message}\n`);
        assertGood(r.text, f);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("serverless: a damaged file next to a good one is a partial failure (exit 3)", async () => {
  const dir = await tempDir();
  try {
    const files = await makeFiles(dir, false);
    const good = `${dir}/good.log`;
    await Deno.writeTextFile(good, "fine\n");
    const junk = files.find((f) => f.kind === "zstd" && f.path.includes("/junk"))!;
    const r = await run("dcat", ["--cfg", "none", "--plain", good, junk.path]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.text, "fine\n" + junk.good);
    assert.equal(r.stderr, `dcat: ${junk.path}: ${junk.message}\n`);
    // Labelled output: the same lines, each with its label.
    const labelled = await run("dcat", ["--cfg", "none", "--noColor", junk.path]);
    assert.equal(labelled.code, 3);
    assertNoStackTrace(labelled.stderr);
    const out = labelled.text.trimEnd().split("\n");
    const want = junk.good.trimEnd().split("\n");
    assert.equal(out.length, want.length);
    assert.ok(out.every((l, i) => l.startsWith("REMOTE|") && l.endsWith(`|${want[i]}`)));
    assert.equal(labelled.stderr, `dcat: ${junk.path}: ${junk.message}\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "over SSH, damaged files print their good part and the client exits non-zero",
  ignore: !canRunServers,
  fn: async (t) => {
    const dir = await tempDir();
    await Deno.chmod(dir, 0o755);
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      const files = await makeFiles(dir, false);
      const trust = await client.run("dcat", [server], ["--plain", "--trustAllHosts", "/dev/null"]);
      assertNoStackTrace(trust.stderr);
      for (const f of files) {
        await t.step(`--plain ${f.path.slice(dir.length + 1)}`, async () => {
          const r = await client.run("dcat", [server], ["--plain", f.path]);
          assert.equal(r.code, 3, r.stderr);
          assertNoStackTrace(r.stderr);
          assertGood(r.text, f);
          const errors = r.stderr.trimEnd().split("\n");
          assert.equal(errors.length, 1, r.stderr);
          assert.ok(errors[0]!.endsWith(`|${f.path}: ${f.message}`), r.stderr);
        });
      }
      const junk = files.find((f) => f.kind === "gzip" && f.path.includes("/junk"))!;
      await t.step("labelled output: the same lines, and the server's notice", async () => {
        const r = await client.run("dcat", [server], ["--noColor", junk.path]);
        assert.equal(r.code, 3, r.stderr);
        assertNoStackTrace(r.stderr);
        const out = r.text.trimEnd().split("\n");
        const want = junk.good.trimEnd().split("\n");
        assert.equal(out.length, want.length);
        assert.ok(out.every((l, i) => l.startsWith("REMOTE|") && l.endsWith(`|${want[i]}`)));
        assert.match(r.stderr, /SERVER\|[^\n]*\|ERROR\|/);
        assert.ok(r.stderr.includes(`|${junk.path}: ${junk.message}`), r.stderr);
      });
      await t.step("next to a good file it is a partial failure (exit 3)", async () => {
        const good = `${dir}/good.log`;
        await Deno.writeTextFile(good, "fine\n", { mode: 0o644 });
        await Deno.chmod(good, 0o644);
        const r = await client.run("dcat", [server], [
          "--plain",
          "--files",
          `${good},${junk.path}`,
        ]);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.text, "fine\n" + junk.good);
      });
      await t.step(
        "the server lives on after a wrong zstd checksum and a damaged block",
        async () => {
          const good = `${dir}/good.log`;
          const r = await client.run("dcat", [server], ["--plain", good]);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.text, "fine\n");
        },
      );
      await t.step("dgrep over a damaged file is partial too", async () => {
        const r = await client.run("dgrep", [server], ["--plain", "--grep", "line=1 ", junk.path]);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(
          r.text,
          junk.good.split("\n").filter((l) => l.includes("line=1 ")).join("\n") + "\n",
        );
      });
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
