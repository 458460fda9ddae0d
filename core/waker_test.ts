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

Deno.test("a session's glob expansions run one at a time, each pausing the next four times its length", async () => {
  const stop = new AbortController();
  const watchers = new DirectoryWatchers(stop.signal);
  const spans: [number, number][] = [];
  const work = async () => {
    const started = performance.now();
    await sleep(40);
    spans.push([started, performance.now()]);
  };
  try {
    await Promise.all([watchers.paced(work), watchers.paced(work), watchers.paced(work)]);
    assert.equal(spans.length, 3);
    for (let i = 1; i < spans.length; i++) {
      const [, endBefore] = spans[i - 1]!;
      const [startBefore] = spans[i - 1]!;
      const gap = spans[i]![0] - endBefore;
      assert.ok(gap >= 4 * (endBefore - startBefore) - 5, `paused ${gap.toFixed(0)} ms`);
    }
    // Quick work adds up: 100 expansions of ~1 ms take about 500 ms, not 100.
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) { /* an expansion's CPU */ }
      return Promise.resolve();
    };
    const many = performance.now();
    for (let i = 0; i < 100; i++) await watchers.paced(() => busy(1));
    const took = performance.now() - many;
    assert.ok(took > 400 && took < 2000, `100 quick expansions took ${took.toFixed(0)} ms`);
    // An abort opens a pause at once.
    const quick = performance.now();
    await watchers.paced(() => Promise.resolve());
    const slow = watchers.paced(() => sleep(200));
    await slow;
    const aborted = watchers.paced(() => Promise.resolve("ran"));
    stop.abort();
    assert.equal(await aborted, "ran");
    assert.ok(performance.now() - quick < 600, "not held for the 800 ms pause after the abort");
  } finally {
    stop.abort();
  }
});
