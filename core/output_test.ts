import assert from "node:assert/strict";
import { concatBytes } from "./bytes.ts";
import { errorKind } from "./errors.ts";
import { BufferedOutput, CoalescingFlush, fileSink, OutputClosedError } from "./output.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function recorder(): { writes: Uint8Array[]; text: () => string } {
  const writes: Uint8Array[] = [];
  // Decode all writes together: a character may be split between two writes.
  return { writes, text: () => dec.decode(new Uint8Array(writes.flatMap((w) => [...w]))) };
}

Deno.test("BufferedOutput gathers small writes into one sink call on flush", () => {
  const r = recorder();
  const out = new BufferedOutput((b) => r.writes.push(b.slice()), 1024);
  out.string("REMOTE|");
  out.bytes(enc.encode("line"));
  out.byte(10);
  assert.equal(r.writes.length, 0);
  assert.equal(out.pending, 12);
  out.flush();
  assert.equal(r.writes.length, 1);
  assert.equal(r.text(), "REMOTE|line\n");
  assert.equal(out.pending, 0);
  out.flush();
  assert.equal(r.writes.length, 1, "flushing nothing writes nothing");
});

Deno.test("BufferedOutput flushes when the buffer fills and keeps the order", () => {
  const r = recorder();
  const out = new BufferedOutput((b) => r.writes.push(b.slice()), 16);
  let want = "";
  for (let i = 0; i < 50; i++) {
    const s = `l${i}-`;
    want += s + "\n";
    if (i % 3 === 0) out.string(s);
    else out.bytes(enc.encode(s));
    out.byte(10);
  }
  out.flush();
  assert.equal(r.text(), want);
  assert.ok(r.writes.length > 5);
  for (const w of r.writes) assert.ok(w.length <= 16, `write of ${w.length}`);
});

Deno.test("BufferedOutput writes large byte arrays straight through, in order", () => {
  const r = recorder();
  const out = new BufferedOutput((b) => r.writes.push(b.slice()), 64);
  const big = enc.encode("x".repeat(1000));
  out.string("head|");
  out.bytes(big);
  out.string("|tail");
  out.flush();
  assert.equal(r.text(), "head|" + "x".repeat(1000) + "|tail");
  assert.ok(r.writes.some((w) => w.length === 1000), "the large write went through whole");
});

Deno.test("BufferedOutput encodes long and multi-byte strings correctly", () => {
  const r = recorder();
  const out = new BufferedOutput((b) => r.writes.push(b.slice()), 32);
  const long = "€😀é".repeat(100);
  out.string("a");
  out.string(long);
  out.string("😀");
  out.string("b".repeat(20));
  out.flush();
  assert.equal(r.text(), "a" + long + "😀" + "b".repeat(20));
});

Deno.test("BufferedOutput produces exactly the input for random write sequences", () => {
  let seed = 3;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const size of [8, 33, 4096]) {
    const r = recorder();
    const out = new BufferedOutput((b) => r.writes.push(b.slice()), size);
    let want = "";
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(next() * size * 1.5);
      const s = "ab€".repeat(len).slice(0, len);
      want += s;
      const kind = next();
      if (kind < 0.4) out.string(s);
      else if (kind < 0.8) out.bytes(enc.encode(s));
      else for (const b of enc.encode(s)) out.byte(b);
    }
    out.flush();
    assert.equal(r.text(), want, `size ${size}`);
  }
});

Deno.test("fileSink loops until a partial writer took every byte", () => {
  const got: number[] = [];
  const sink = fileSink({
    writeSync(p: Uint8Array): number {
      const n = Math.min(3, p.length);
      got.push(...p.subarray(0, n));
      return n;
    },
  });
  sink(enc.encode("hello world"));
  assert.equal(dec.decode(new Uint8Array(got)), "hello world");
});

Deno.test("fileSink turns a broken pipe into OutputClosedError and other failures into an output error saying why", () => {
  const broken = fileSink({
    writeSync(): number {
      throw new Deno.errors.BrokenPipe("gone");
    },
  });
  assert.throws(() => broken(enc.encode("x")), OutputClosedError);
  const failing = fileSink({
    writeSync(): number {
      throw new Error("No space left on device (os error 28)");
    },
  });
  assert.throws(
    () => failing(enc.encode("x")),
    (e: unknown) =>
      errorKind(e) === "output" && (e as Error).message === "write error: no space left on device",
  );
});

Deno.test("CoalescingFlush writes big batches at once and small ones on the next tick", async () => {
  const writes: number[] = [];
  const out = new BufferedOutput((b) => writes.push(b.length), 1 << 20);
  const flush = new CoalescingFlush(out, 1000);
  out.bytes(new Uint8Array(400));
  flush.poke();
  out.bytes(new Uint8Array(400));
  flush.poke();
  assert.deepEqual(writes, [], "below the threshold nothing is written yet");
  out.bytes(new Uint8Array(400));
  flush.poke();
  assert.deepEqual(writes, [1200]);
  out.bytes(new Uint8Array(10));
  flush.poke();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(writes, [1200, 10], "the remainder goes out on the timer");
});

Deno.test("CoalescingFlush raises a failed timer write on the next poke", async () => {
  const out = new BufferedOutput(() => {
    throw new OutputClosedError("output closed");
  });
  const seen: unknown[] = [];
  const flush = new CoalescingFlush(out, undefined, (err) => seen.push(err));
  out.bytes(new Uint8Array(3));
  flush.poke();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(seen[0] instanceof OutputClosedError, "the owner hears of it at once");
  assert.throws(() => flush.poke(), OutputClosedError);
});

Deno.test("CoalescingFlush.close raises a timer's write error even when no poke follows", async () => {
  const out = new BufferedOutput(() => {
    throw new Error("EIO");
  });
  const flush = new CoalescingFlush(out);
  out.bytes(new Uint8Array(3));
  flush.poke();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.throws(() => flush.close(), /EIO/);
});

Deno.test("BufferedOutput.filled writes a transform in place, after what came before, whatever its size", () => {
  const double = (src: Uint8Array, buf: Uint8Array, at: number) => {
    for (const b of src) buf[at++] = b, buf[at++] = b;
    return at;
  };
  for (const size of [1, 7, 64]) {
    const writes: Uint8Array[] = [];
    const out = new BufferedOutput((b) => writes.push(b.slice()), size);
    const expected: number[] = [];
    for (let n = 0; n < 40; n++) {
      const src = Uint8Array.from({ length: n % 13 }, (_, i) => 65 + ((n + i) % 26));
      out.filled(src, 2 * src.length, double);
      expected.push(...[...src].flatMap((b) => [b, b]));
      out.byte(10);
      expected.push(10);
    }
    out.flush();
    assert.deepEqual(writes.flatMap((w) => [...w]), expected, `buffer of ${size}`);
  }
});

Deno.test("BufferedOutput.decimal writes every size of number as String does", () => {
  const numbers = [0, 1, 9, 10, 99, 100, 12345, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 7, 1e15];
  for (let n = 1; n < 2 ** 32; n = n * 3 + 1) numbers.push(n, n - 1);
  const writes: Uint8Array[] = [];
  const out = new BufferedOutput((b) => writes.push(b.slice()), 64);
  for (const n of numbers) {
    out.decimal(n);
    out.byte(32);
  }
  out.flush();
  assert.equal(dec.decode(new Uint8Array(writes.flatMap((w) => [...w]))), numbers.join(" ") + " ");
});

Deno.test("a joined sink takes a large piece with what was buffered before it, and nothing else", () => {
  const plain: number[][] = [];
  const joined: [number[], number[]][] = [];
  const out = new BufferedOutput(
    (b) => plain.push([...b]),
    8,
    { joined: (head, body) => joined.push([[...head], [...body]]) },
  );
  out.bytes(new Uint8Array([1, 2]));
  out.bytes(new Uint8Array([3, 3, 3, 3, 3, 3, 3])); // does not fit: joined with [1, 2]
  out.bytes(new Uint8Array(9).fill(4)); // larger than the buffer, nothing pending: an empty head
  out.bytes(new Uint8Array([5]));
  out.flush();
  assert.deepEqual(joined, [[[1, 2], [3, 3, 3, 3, 3, 3, 3]], [[], new Array(9).fill(4)]]);
  assert.deepEqual(plain, [[5]]);
});

Deno.test("an unbuffered piece is written after what was buffered, joined with it where a sink joins", () => {
  const plain: number[][] = [];
  const out = new BufferedOutput((b) => plain.push([...b]), 8);
  out.bytes(new Uint8Array([1, 2]));
  out.unbuffered(new Uint8Array([3]));
  out.unbuffered(new Uint8Array(0));
  out.bytes(new Uint8Array([4]));
  out.flush();
  assert.deepEqual(plain, [[1, 2], [3], [4]]);
  const joined: [number[], number[]][] = [];
  const joining = new BufferedOutput(() => assert.fail("not joined"), 8, {
    joined: (head, body) => joined.push([[...head], [...body]]),
  });
  joining.bytes(new Uint8Array([1]));
  joining.unbuffered(new Uint8Array([2, 2]));
  assert.deepEqual(joined, [[[1], [2, 2]]]);
  assert.equal(joining.pending, 0);
});

Deno.test("a sink that takes the buffer itself leaves the output a new one, and may decline", () => {
  const taken: number[][] = [];
  const plain: number[][] = [];
  let decline = false;
  const out = new BufferedOutput((b) => plain.push([...b]), 8, {
    handOff: (buffer, length) => {
      if (decline) return null;
      taken.push([...buffer.subarray(0, length)]);
      buffer.fill(0); // it is the sink's now: the output must not write there again
      return new Uint8Array(8);
    },
  });
  out.bytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
  out.bytes(new Uint8Array([8, 9])); // does not fit: the buffer is handed off
  out.flush();
  decline = true;
  out.bytes(new Uint8Array([10]));
  out.flush();
  assert.deepEqual(taken, [[1, 2, 3, 4, 5, 6, 7], [8, 9]]);
  assert.deepEqual(plain, [[10]]);
});

/**
 * A BehindSink that takes every other piece (the rest it declines), "writes" a taken piece only
 * when settled, and checks that a piece did not change while it was under way.
 */
function fakeBehind(events: string[], written: Uint8Array[]) {
  let under: { piece: Uint8Array; copy: Uint8Array } | null = null;
  let offers = 0;
  const behind = {
    starts: 0,
    start(piece: Uint8Array): boolean {
      behind.settle();
      if (offers++ % 2 === 1) return false;
      behind.starts++;
      events.push(`start ${piece.length}`);
      under = { piece, copy: piece.slice() };
      return true;
    },
    settle(): void {
      if (under === null) return;
      assert.deepEqual(under.piece, under.copy, "a piece changed while it was written behind");
      events.push(`settle ${under.piece.length}`);
      written.push(under.copy);
      under = null;
    },
  };
  return behind;
}

Deno.test("full buffers go behind, each left unchanged until settled, and every byte keeps its order", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (const size of [16, 64, 1000]) {
    const events: string[] = [];
    const written: Uint8Array[] = [];
    const behind = fakeBehind(events, written);
    const sink = (b: Uint8Array) => {
      events.push(`write ${b.length}`);
      written.push(b.slice());
    };
    const out = new BufferedOutput(sink, size, { behind });
    let want = "";
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(next() * size * 1.2);
      const s = "xy€".repeat(len).slice(0, len);
      const kind = next();
      if (kind >= 0.7 && kind < 0.75) {
        out.send();
        continue;
      }
      want += s;
      if (kind < 0.3) out.string(s);
      else if (kind < 0.6) out.bytes(enc.encode(s));
      else if (kind < 0.7) out.unbuffered(enc.encode(s));
      else for (const b of enc.encode(s)) out.byte(b);
    }
    out.flush();
    assert.equal(dec.decode(concatBytes(...written)), want, `size ${size}`);
    assert.ok(behind.starts > 10, `size ${size}: ${behind.starts} pieces went behind`);
    assert.equal(events.at(-1)?.startsWith("start"), false, "flush left a write under way");
  }
});

Deno.test("a write on this thread waits for the one behind first", () => {
  const events: string[] = [];
  const written: Uint8Array[] = [];
  const out = new BufferedOutput(
    (b) => {
      events.push(`write ${b.length}`);
      written.push(b.slice());
    },
    8,
    { behind: fakeBehind(events, written) },
  );
  out.bytes(enc.encode("abcdefgh")); // fills the buffer
  out.byte(0x69); // full: the 8 bytes go behind
  assert.deepEqual(events, ["start 8"]);
  out.unbuffered(enc.encode("0123456789")); // after "i", after the 8 under way
  assert.deepEqual(events, ["start 8", "settle 8", "write 1", "write 10"]);
  out.send(); // nothing buffered: nothing to do
  out.flush();
  assert.equal(dec.decode(concatBytes(...written)), "abcdefghi0123456789");
});

Deno.test("flush waits for the write behind to end, also with nothing buffered", () => {
  const events: string[] = [];
  const written: Uint8Array[] = [];
  const out = new BufferedOutput(() => assert.fail("nothing is written on this thread"), 8, {
    behind: fakeBehind(events, written),
  });
  out.bytes(enc.encode("abc"));
  out.send();
  assert.deepEqual(events, ["start 3"]);
  out.flush();
  assert.deepEqual(events, ["start 3", "settle 3"]);
  assert.equal(dec.decode(concatBytes(...written)), "abc");
});
