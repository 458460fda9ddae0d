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
