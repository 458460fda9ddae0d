import assert from "node:assert/strict";
import { LineBatch } from "./line_batch.ts";
import { BufferedOutput } from "./output.ts";
import { firstOutputFlushed, flushedEachBatch, type Sink } from "./sink.ts";

const encoder = new TextEncoder();

/** A sink printing whole batches into `out`, and the writes `out` made. */
function printing() {
  const writes: string[] = [];
  const out = new BufferedOutput((bytes) => writes.push(new TextDecoder().decode(bytes)));
  let done = 0;
  const sink: Sink = {
    selection: (sel) => out.bytes(sel.batch.bytes),
    fileDone: () => {
      done++;
    },
  };
  return { writes, out, sink, done: () => done };
}

const batch = (text: string) => {
  const b = new LineBatch(encoder.encode(text), 0);
  return { batch: b, regions: text === "" ? [] : [0, b.bytes.length] };
};

Deno.test("firstOutputFlushed writes the first batch that printed at once, later ones in bulk", () => {
  const { writes, out, sink, done } = printing();
  const wrapped = firstOutputFlushed(sink, out);
  wrapped.selection(batch(""), "a");
  wrapped.batchDone?.();
  assert.deepEqual(writes, [], "a batch that printed nothing writes nothing");
  wrapped.selection(batch("one\n"), "a");
  wrapped.batchDone?.();
  assert.deepEqual(writes, ["one\n"]);
  wrapped.selection(batch("two\n"), "a");
  wrapped.batchDone?.();
  wrapped.selection(batch("three\n"), "a");
  wrapped.batchDone?.();
  assert.deepEqual(writes, ["one\n"], "the rest waits for the buffer or the end");
  wrapped.fileDone?.();
  assert.equal(done(), 1, "the sink's own hooks still run");
  assert.equal(wrapped.wholeFile, undefined, "no hook the sink does not have");
  out.flush();
  assert.deepEqual(writes, ["one\n", "two\nthree\n"]);
});

Deno.test("flushedEachBatch runs the sink's own batchDone, then flushes, after every batch", async () => {
  const calls: string[] = [];
  let release!: () => void;
  const inner: Sink = {
    selection: () => calls.push("selection"),
    batchDone: () => {
      calls.push("own");
      return calls.length > 4 ? new Promise<void>((r) => release = r) : undefined;
    },
  };
  const wrapped = flushedEachBatch(inner, () => {
    calls.push("flush");
  });
  wrapped.selection(batch("a\n"), "a");
  assert.equal(wrapped.batchDone?.(), undefined);
  wrapped.selection(batch("b\n"), "a");
  const waiting = wrapped.batchDone?.();
  assert.ok(waiting instanceof Promise);
  assert.deepEqual(calls, ["selection", "own", "flush", "selection", "own"]);
  release();
  await waiting;
  assert.deepEqual(calls.slice(-1), ["flush"], "the flush waits for the sink's own");
});
