import assert from "node:assert/strict";
import { Screen } from "../tests/_screen.ts";
import { FleetProgress, formatBytes, ProgressLine, progressText } from "./progress_line.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A progress line on a screen, redrawn every 10 ms. */
function lineOn(screen: Screen, source: () => string | null) {
  let writes = "";
  const line = new ProgressLine(
    {
      write: (text) => {
        writes += text;
        screen.write(text);
      },
      columns: () => screen.columns,
    },
    source,
    10,
  );
  return { line, writes: () => writes };
}

Deno.test("bytes are shown in SI units with one decimal, small counts as bytes", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(999), "999 B");
  assert.equal(formatBytes(1000), "1.0 kB");
  assert.equal(formatBytes(1_234_567), "1.2 MB");
  assert.equal(formatBytes(4_000_000_000), "4.0 GB");
  assert.equal(formatBytes(999_960), "1.0 MB");
});

Deno.test("the progress text has the bytes with their percentage and the servers done", () => {
  assert.equal(
    progressText("dmap", { read: 1_200_000_000, total: 4_000_000_000 }, {
      done: 12,
      all: 40,
      unit: "servers",
    }),
    "dmap: 1.2 GB of 4.0 GB (30%), 12 of 40 servers done",
  );
  assert.equal(
    progressText("dmap", null, { done: 1, all: 3, unit: "files" }),
    "dmap: 1 of 3 files done",
  );
  assert.equal(progressText("dmap", { read: 5, total: 10 }, null), "dmap: 5 B of 10 B (50%)");
  assert.equal(progressText("dmap", null, null), null);
});

Deno.test("a fleet's progress sums the bytes of servers of ours and counts every server done", () => {
  const fleet = new FleetProgress("dmap");
  assert.equal(fleet.text(), null); // servers not known yet
  fleet.servers(3);
  assert.equal(fleet.text(), "dmap: 0 of 3 servers done");
  fleet.bytes("a:1", 100, 1000);
  fleet.bytes("b:1", 400, 1000);
  assert.equal(fleet.text(), "dmap: 500 B of 2.0 kB (25%), 0 of 3 servers done");
  // A Go dserver (c) sends no bytes: it only counts once done.
  fleet.done("c:1");
  fleet.done("a:1"); // done: all its bytes read, whatever it said last
  assert.equal(fleet.text(), "dmap: 1.4 kB of 2.0 kB (70%), 2 of 3 servers done");
  fleet.bytes("a:1", 10, 1000); // late news of a finished server changes nothing
  assert.equal(fleet.text(), "dmap: 1.4 kB of 2.0 kB (70%), 2 of 3 servers done");
  // A server claiming more read than its total counts its total, never above 100%.
  fleet.bytes("b:1", 9000, 1000);
  assert.equal(fleet.text(), "dmap: 2.0 kB of 2.0 kB (100%), 2 of 3 servers done");
});

Deno.test("the progress line is drawn in place, redrawn with the news, and erased at the end", async () => {
  const screen = new Screen(60, 5);
  let text: string | null = "dmap: 1 of 4 servers done";
  const { line, writes } = lineOn(screen, () => text);
  await wait(30);
  assert.deepEqual(screen.lines(), ["dmap: 1 of 4 servers done"]);
  text = "dmap: 3 of 4 servers done";
  await wait(30);
  assert.deepEqual(screen.lines(), ["dmap: 3 of 4 servers done"]);
  line.end();
  assert.deepEqual(screen.lines(), []);
  assert.equal(screen.cursor.col, 0);
  // Only `\r`, text and erase-line: no newline, nothing that moves the cursor up.
  assert.doesNotMatch(writes(), new RegExp("\n|\x1b\\[\\d*A"));
  const after = writes().length;
  await wait(30);
  assert.equal(writes().length, after, "nothing is drawn after the end");
});

Deno.test("the progress line is drawn at most once per interval", async () => {
  const screen = new Screen(60, 5);
  let n = 0;
  const { line, writes } = lineOn(screen, () => `dmap: ${n++} of 1000 servers done`);
  const started = Date.now();
  await wait(100);
  line.end();
  const draws = writes().split("dmap:").length - 1;
  assert.ok(draws >= 1 && draws <= (Date.now() - started) / 10 + 1, `${draws} draws`);
});

Deno.test("a line erased by someone else is drawn again at the next interval", async () => {
  const screen = new Screen(60, 5);
  const { line } = lineOn(screen, () => "dmap: 0 of 1 servers done");
  await wait(30);
  screen.write("\x1b[0G\x1b[2K\x1b[J"); // as Deno writes when a worker starts
  assert.deepEqual(screen.lines(), []);
  await wait(30);
  assert.deepEqual(screen.lines(), ["dmap: 0 of 1 servers done"]);
  line.end();
});

Deno.test("a progress line wider than the terminal is cut so that it never wraps", async () => {
  const screen = new Screen(20, 5);
  const { line } = lineOn(screen, () => "dmap: 1.2 GB of 4.0 GB (30%), 12 of 40 servers done");
  await wait(30);
  assert.deepEqual(screen.lines(), ["dmap: 1.2 GB of 4.0"]);
  line.end();
  assert.deepEqual(screen.lines(), []);
});

Deno.test("hidden for a warning, the line comes back under it; paused, it stays away", async () => {
  const screen = new Screen(60, 5);
  const { line } = lineOn(screen, () => "dmap: 0 of 2 servers done");
  await wait(30);
  line.hide();
  screen.write("dmap: a warning\n");
  line.show();
  assert.deepEqual(screen.lines(), ["dmap: a warning", "dmap: 0 of 2 servers done"]);
  line.pause(true);
  assert.deepEqual(screen.lines(), ["dmap: a warning"]);
  await wait(30);
  assert.deepEqual(screen.lines(), ["dmap: a warning"]);
  line.pause(false);
  assert.deepEqual(screen.lines(), ["dmap: a warning", "dmap: 0 of 2 servers done"]);
  line.end();
  assert.deepEqual(screen.lines(), ["dmap: a warning"]);
});
