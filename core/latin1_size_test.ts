/**
 * readFiles tells the pipeline a file's size, so that a big file is read as Latin-1 from its
 * second batch on (latin1.ts), not after 8 MiB decoded as UTF-8. Its own file: the Latin-1
 * reading's state is fresh in this file's isolate.
 */
import assert from "node:assert/strict";
import { latin1Ready } from "./latin1.ts";
import { compileMatcher } from "./matcher.ts";
import { openRegular } from "./open_file.ts";
import { readFileChunks } from "./chunks.ts";
import { readFiles } from "./run.ts";
import type { Sink } from "./sink.ts";

Deno.test("a file of 9 MiB is read as Latin-1 from its second batch on", async () => {
  const line = "took 12ms ça va ✓ 🔥\n";
  const lines = Math.ceil((9 << 20) / new TextEncoder().encode(line).length);
  const path = await Deno.makeTempFile({ suffix: ".log" });
  try {
    await Deno.writeTextFile(path, line.repeat(lines));
    const readyAt: boolean[] = [];
    let selected = 0;
    const sink: Sink = {
      selection: (sel) => {
        readyAt.push(latin1Ready());
        const r = sel.regions;
        for (let i = 0; i < r.length; i += 2) selected += r[i + 1]! - r[i]!;
      },
    };
    const result = await readFiles([path], sink, {
      filter: { matcher: compileMatcher("[0-9]+ms") },
      signal: new AbortController().signal,
      glob: { maxTargets: 10, maxDirs: 10 },
      open: openRegular,
      content: (_path, opened) => readFileChunks(opened.file),
      onUnreadable: (p, err) => assert.fail(`${p}: ${err}`),
      onLongLine: () => {},
      onNotice: () => {},
      onNoFiles: () => assert.fail("no files"),
    });
    assert.deepEqual(result, { ok: 1, failed: 0 });
    assert.equal(selected, (await Deno.stat(path)).size, "every line selected");
    assert.ok(readyAt.length > 4, `${readyAt.length} batches`);
    assert.equal(readyAt[0], false, "the first batch is read as UTF-8");
    assert.deepEqual(readyAt.slice(1), readyAt.slice(1).map(() => true));
  } finally {
    await Deno.remove(path);
  }
});
