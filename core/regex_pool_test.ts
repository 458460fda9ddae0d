import assert from "node:assert/strict";
import { compileRe2jsMatcher } from "./matcher.ts";
import { PIECE_CHARS, RegexPool, RegexPoolError } from "./regex_pool.ts";
import { matchingLineStarts } from "./regex_worker.ts";

const DOTS = ".".repeat(10_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects when `promise` takes longer than `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lines of every kind: ASCII, non-ASCII, astral, CRLF, empty, long. */
function mixedText(lines: number): string {
  const kinds = [
    (i: number) => `2024-01-02 INFO request ${i} handled`,
    (i: number) => `Übung ${i}: ÜÜX and üx`,
    (i: number) => `😀 astral ${i} 𝔘x ü`,
    (i: number) => `windows line ${i} üX\r`,
    () => "",
    (i: number) => "long ".repeat(200 + (i % 50)) + (i % 3 === 0 ? "üx" : ""),
  ];
  return Array.from({ length: lines }, (_, i) => kinds[i % kinds.length]!(i)).join("\n") + "\n";
}

Deno.test("the pool finds the lines the re2js matcher finds, over several pieces", async () => {
  const pool = new RegexPool({ size: 2 });
  try {
    const text = mixedText(3000);
    assert.ok(text.length > 2 * PIECE_CHARS, "more than two pieces");
    for (const pattern of ["(?i)ü+x", "^$", "\\pL+x$", "X\\r$", "^(?:long )+$"]) {
      const want = matchingLineStarts(compileRe2jsMatcher(pattern), text);
      const got = await pool.matchingLines(pattern, text);
      assert.deepEqual([...got], [...want], pattern);
      assert.ok(want.length > 0, pattern);
    }
    const unterminated = "abc üx\nno\nlast üx";
    assert.deepEqual([...await pool.matchingLines("üx", unterminated)], [0, 10]);
    assert.deepEqual([...await pool.matchingLines("üx", "")], []);
    assert.ok(pool.workers > 0 && pool.workers <= 2);
  } finally {
    pool.close();
  }
});

Deno.test("a new pool starts no worker before its first task", () => {
  const pool = new RegexPool();
  assert.equal(pool.workers, 0);
  assert.ok(pool.size >= 2 && pool.size <= 4);
  pool.close();
});

Deno.test("an aborted task ends at once, queued or running, and frees its worker", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    // One line that takes re2js minutes.
    const slow = "x".repeat(1 << 20) + "#\n";
    const first = new AbortController();
    const second = new AbortController();
    const running = pool.matchingLines(DOTS + "#", slow, first.signal);
    const queued = pool.matchingLines(DOTS + "#", slow, second.signal);
    await sleep(300); // the worker is well into the line
    assert.equal(pool.workers, 1);
    second.abort();
    await within(200, "the queued task", assert.rejects(queued, { name: "AbortError" }));
    first.abort();
    await within(200, "the running task", assert.rejects(running, { name: "AbortError" }));
    // The same worker goes on at once with the next task.
    const next = await within(1000, "the next task", pool.matchingLines("b", "a\nb\n"));
    assert.deepEqual([...next], [2]);
    assert.equal(pool.workers, 1);
    const aborted = AbortSignal.abort();
    await assert.rejects(pool.matchingLines("b", "b", aborted), { name: "AbortError" });
  } finally {
    pool.close();
  }
});

Deno.test("tasks take turns: a short task does not wait for all of a long one", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    const long = mixedText(9000); // six pieces and more
    assert.ok(long.length > 5 * PIECE_CHARS);
    const order: string[] = [];
    const a = pool.matchingLines("(?i)ü+x", long).then(() => order.push("long"));
    const b = pool.matchingLines("(?i)ü+x", "short üx\n").then(() => order.push("short"));
    await Promise.all([a, b]);
    assert.deepEqual(order, ["short", "long"]);
  } finally {
    pool.close();
  }
});

Deno.test("a failing worker fails its task with a clear error, never a hang", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-regex-pool-" });
  try {
    const broken = `${dir}/broken_worker.ts`;
    await Deno.writeTextFile(broken, 'throw new Error("cannot load");\n');
    const throwing = `${dir}/throwing_worker.ts`;
    await Deno.writeTextFile(throwing, 'self.onmessage = () => { throw new Error("boom"); };\n');
    for (const [path, reason] of [[broken, /cannot load/], [throwing, /boom/]] as const) {
      const pool = new RegexPool({ size: 1, workerUrl: new URL(`file://${path}`) });
      try {
        const task = pool.matchingLines("a", "a\n");
        await within(5000, path, assert.rejects(task, RegexPoolError));
        await task.catch((err) => assert.match(err.message, reason));
        assert.equal(pool.workers, 0);
      } finally {
        pool.close();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers go once idle, sooner once the pool has no user", async () => {
  const pool = new RegexPool({ size: 2, idleMs: 300, lingerMs: 20 });
  try {
    {
      using _user = pool.use();
      await pool.matchingLines("b", "a\nb\n");
      assert.equal(pool.workers, 1);
      await sleep(100);
      assert.equal(pool.workers, 1, "kept while a user may send more");
      await sleep(400);
      assert.equal(pool.workers, 0, "gone after idleMs");
      await pool.matchingLines("b", "a\nb\n");
      assert.equal(pool.workers, 1);
    }
    await sleep(100);
    assert.equal(pool.workers, 0, "gone soon after the last user left");
    await pool.matchingLines("b", "a\nb\n"); // without a user
    await sleep(100);
    assert.equal(pool.workers, 0);
  } finally {
    pool.close();
  }
});
