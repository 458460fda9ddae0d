import assert from "node:assert/strict";
import { BufferedOutput } from "../core/output.ts";
import { NoopMatcher } from "../core/noop_matcher.ts";
import { compileMatcher } from "../core/matcher.ts";
import { printerOf, readerWork, type ReadJob, type RunIO, runServerless } from "./serverless.ts";

const everyLine = new NoopMatcher("");
const aPattern = compileMatcher("ERROR");

function job(
  change: { plain?: boolean; json?: boolean; mode?: ReadJob["mode"] } = {},
  filter = {},
) {
  return {
    mode: change.mode ?? "cat",
    targets: ["x.log"],
    filter: { matcher: everyLine, ...filter },
    frame: { plain: change.plain ?? true, color: false, hostname: "h" },
    maxGlobTargets: 10,
    maxGlobDirs: 10,
    json: change.json ?? false,
  } as ReadJob;
}

function io(sendTo?: number): RunIO {
  return {
    out: new BufferedOutput(() => {}),
    warn: () => {},
    signal: new AbortController().signal,
    sendTo,
  };
}

Deno.test("a regex or a map is heavy work for the reader; printing and a literal are light", () => {
  assert.equal(readerWork(job()), "light", "every line");
  assert.equal(readerWork(job({}, { matcher: aPattern })), "light", "a literal");
  const regex = compileMatcher("[0-9]+ms");
  assert.equal(regex.kind, "regex");
  assert.equal(readerWork(job({}, { matcher: regex })), "heavy", "a regex");
  assert.equal(readerWork({ ...job(), readerWork: "heavy" }), "heavy", "a MapReduce's map");
});

Deno.test("plain files are sent to stdout only where every line prints as it is", async () => {
  const sends = async (j: ReadJob, o = io(1)) => (await printerOf(j, o)).leadingLines !== undefined;
  assert.equal(await sends(job()), true);
  assert.equal(await sends(job({ mode: "grep" })), true, "a grep whose pattern matches every line");
  assert.equal(await sends(job({ plain: false })), false, "labelled lines");
  assert.equal(await sends(job({ json: true })), false, "--json");
  assert.equal(await sends(job({ mode: "tail" })), false, "a follow");
  assert.equal(await sends(job({}, { matcher: aPattern })), false, "a pattern");
  assert.equal(await sends(job({}, { invert: true })), false, "--invert");
  assert.equal(await sends(job({}, { max: 3 })), false, "--max");
  assert.equal(
    await sends(job({}, { timeRange: { since: 0, until: Infinity } })),
    false,
    "--since",
  );
  assert.equal(await sends(job(), io()), false, "output that is not standard output");
});

/** A small seeded generator (mulberry32), so that a failing case can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Lines of up to `max` bytes, a few exactly `max`, and in half the files a few one byte longer or
 * far longer; CRs and UTF-8 among them; the end unterminated or not.
 */
function randomLog(next: () => number, max: number): string {
  const longer = next() < 0.5 ? 0 : 0.004; // half the files have no line over max
  const pieces: string[] = [];
  const count = 2000 + Math.floor(next() * 6000);
  for (let i = 0; i < count; i++) {
    const r = next();
    const length = r < longer / 2
      ? max + 2 + Math.floor(next() * 2 * max)
      : r < longer
      ? max + 1
      : r < 0.01
      ? max
      : Math.floor(next() * max * 0.9);
    const text = "é\r".repeat(Math.floor(length / 3));
    pieces.push(text + "x".repeat(length - new TextEncoder().encode(text).length));
  }
  return pieces.join("\n") + (next() < 0.5 ? "\n" : "");
}

Deno.test("a read that sends plain files prints the bytes of one that does not, on random files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sent-random-" });
  const fdLib = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
  });
  try {
    let sentBytes = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const next = random(seed);
      const max = 20 + Math.floor(next() * 200);
      const files: string[] = [];
      for (let f = 0; f < 3; f++) {
        const path = `${dir}/${seed}-${f}.log`;
        await Deno.writeTextFile(path, randomLog(next, max));
        files.push(path);
      }
      const readJob = {
        ...job(),
        targets: files,
        filter: { matcher: everyLine, maxLineLength: max },
      };
      // The ordinary read, into memory.
      const printed: Uint8Array[] = [];
      const plain = new BufferedOutput((b) => printed.push(b.slice()), 4096);
      await runServerless(
        readJob,
        { ...io(), out: plain },
        await printerOf(readJob, { ...io(), out: plain }),
      );
      // The same read with sendfile into a file, the buffered output into the same descriptor.
      const target = `${dir}/${seed}.out`;
      const fd = fdLib.symbols.open(
        new TextEncoder().encode(target + "\0"),
        0o1 | 0o100 | 0o1000,
        0o600,
      );
      try {
        const out = new BufferedOutput((b) => {
          assert.equal(Number(fdLib.symbols.write(fd, b, BigInt(b.length))), b.length);
        }, 4096);
        const sent = { ...io(fd), out };
        const sink = await printerOf(readJob, sent);
        const leadingLines = sink.leadingLines!;
        sink.leadingLines = async (opened, signal) => {
          const offset = await leadingLines(opened, signal);
          sentBytes += offset;
          return offset;
        };
        await runServerless(readJob, sent, sink);
      } finally {
        fdLib.symbols.close(fd);
      }
      const expected = new Uint8Array(printed.reduce((n, b) => n + b.length, 0));
      printed.reduce((at, b) => (expected.set(b, at), at + b.length), 0);
      assert.deepEqual(await Deno.readFile(target), expected, `seed ${seed}, max ${max}`);
    }
    assert.ok(sentBytes > 1_000_000, `only ${sentBytes} bytes were sent`);
  } finally {
    fdLib.close();
    await Deno.remove(dir, { recursive: true });
  }
});
