import assert from "node:assert/strict";
import { DirectoryWatchers } from "./waker.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("an event in the directory wakes every follower waiting there, long before the poll", async () => {
  const dir = await Deno.makeTempDir();
  const stop = new AbortController();
  const watchers = new DirectoryWatchers(stop.signal);
  const wakers = Array.from({ length: 50 }, () => watchers.waker(dir));
  try {
    const started = performance.now();
    const woken = Promise.all(wakers.map((w) => w.wait(60_000)));
    await sleep(20);
    await Deno.writeTextFile(`${dir}/app.log`, "x\n");
    await woken;
    assert.ok(performance.now() - started < 5_000, "woken by the event, not the poll");
  } finally {
    for (const w of wakers) w.close();
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a follower that waits after an event it has not seen yet returns at once", async () => {
  const dir = await Deno.makeTempDir();
  const stop = new AbortController();
  const watchers = new DirectoryWatchers(stop.signal);
  const busy = watchers.waker(dir);
  const other = watchers.waker(dir);
  try {
    const first = other.wait(60_000);
    await Deno.writeTextFile(`${dir}/app.log`, "x\n");
    await first;
    // `busy` was reading while the event came: its next wait must not sleep through it.
    const started = performance.now();
    await busy.wait(60_000);
    assert.ok(performance.now() - started < 1_000, "the missed event ends the wait");
  } finally {
    busy.close();
    other.close();
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without an event, the shortest poll asked for ends the round for everyone", async () => {
  const dir = await Deno.makeTempDir();
  const stop = new AbortController();
  const watchers = new DirectoryWatchers(stop.signal);
  const slow = watchers.waker(dir);
  const quick = watchers.waker(dir);
  try {
    const started = performance.now();
    const slowWait = slow.wait(60_000);
    await quick.wait(30);
    await slowWait;
    const took = performance.now() - started;
    assert.ok(took >= 25 && took < 5_000, `one round of about 30 ms, took ${took} ms`);
  } finally {
    slow.close();
    quick.close();
    stop.abort();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aborting the signal wakes the waiting followers", async () => {
  const dir = await Deno.makeTempDir();
  const stop = new AbortController();
  const waker = new DirectoryWatchers(stop.signal).waker(dir);
  try {
    const waiting = waker.wait(60_000);
    stop.abort();
    await waiting;
  } finally {
    waker.close();
    await Deno.remove(dir, { recursive: true });
  }
});
