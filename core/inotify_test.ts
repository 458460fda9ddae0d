import assert from "node:assert/strict";
import { watchDirectory } from "./inotify.ts";
import { DirectoryWatchers } from "./waker.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("watchDirectory reports creates, writes, renames and removes in the directory", async () => {
  const dir = await Deno.makeTempDir();
  let events = 0;
  const unwatch = watchDirectory(dir, () => events++);
  assert.ok(unwatch !== null, "inotify is available on Linux");
  try {
    for (
      const change of [
        () => Deno.writeTextFileSync(`${dir}/a`, "1"),
        () => Deno.writeTextFileSync(`${dir}/a`, "2", { append: true }),
        () => Deno.renameSync(`${dir}/a`, `${dir}/b`),
        () => Deno.removeSync(`${dir}/b`),
      ]
    ) {
      const before = events;
      change();
      for (let i = 0; i < 100 && events === before; i++) await sleep(5);
      assert.ok(events > before, `an event after ${change}`);
    }
  } finally {
    unwatch();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watching a directory that holds a FIFO, twice, after it changed, never blocks", async () => {
  const dir = await Deno.makeTempDir();
  const stop = new AbortController();
  const first = new DirectoryWatchers(stop.signal).waker(dir);
  try {
    await Deno.writeTextFile(`${dir}/app.log`, "x\n");
    await Deno.rename(`${dir}/app.log`, `${dir}/app.log.1`);
    const mk = await new Deno.Command("mkfifo", { args: [`${dir}/app.log`] }).output();
    assert.ok(mk.success);
    await first.wait(20);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const second = new DirectoryWatchers(stop.signal).waker(dir); // a second session's follower
    await Deno.writeTextFile(`${dir}/app.log.1`, "y\n", { append: true });
    await second.wait(1000);
    await sleep(50);
    clearInterval(timer);
    second.close();
    assert.ok(ticks > 0, "the event loop kept running");
  } finally {
    first.close();
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("when the kernel's event queue overflows, every watch is told something may have changed", async () => {
  const busy = await Deno.makeTempDir();
  const quiet = await Deno.makeTempDir();
  let quietEvents = 0;
  const unwatchBusy = watchDirectory(busy, () => {});
  const unwatchQuiet = watchDirectory(quiet, () => quietEvents++);
  assert.ok(unwatchBusy !== null && unwatchQuiet !== null, "inotify is available on Linux");
  try {
    const limit = Number(Deno.readTextFileSync("/proc/sys/fs/inotify/max_queued_events"));
    // Synchronous writes: nothing reads the queue meanwhile. Each file makes at least two events
    // (create, close-write).
    for (let i = 0; i <= limit / 2; i++) Deno.writeTextFileSync(`${busy}/f${i}`, "x");
    for (let i = 0; i < 200 && quietEvents === 0; i++) await sleep(5);
    assert.ok(quietEvents > 0, "the quiet directory's watcher was woken by the overflow");
  } finally {
    unwatchBusy();
    unwatchQuiet();
    await Deno.remove(busy, { recursive: true });
    await Deno.remove(quiet, { recursive: true });
  }
});
