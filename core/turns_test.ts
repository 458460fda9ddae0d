import assert from "node:assert/strict";
import {
  arriving,
  BUSY_TURN_MS,
  maybeYield,
  TURN_MS,
  turnIsOver,
  turnStarted,
  yieldTurn,
} from "./turns.ts";

/** Runs synchronous work in 20 ms stretches, each followed by `yieldTurn`, until `done()`. */
async function busyUntil(done: () => boolean, limitMs = 3000): Promise<number> {
  const start = performance.now();
  let stretches = 0;
  while (!done() && performance.now() - start < limitMs) {
    const until = performance.now() + 20;
    while (performance.now() < until) {
      // synchronous work: the event loop does not run here
    }
    stretches++;
    await yieldTurn();
  }
  return stretches;
}

Deno.test("the turn is over TURN_MS after it started, and maybeYield starts the next", async () => {
  turnStarted();
  assert.equal(turnIsOver(), false);
  const until = performance.now() + TURN_MS + 5;
  while (performance.now() < until) {
    // synchronous work
  }
  assert.equal(turnIsOver(), true);
  await maybeYield();
  assert.equal(turnIsOver(), false);
});

Deno.test("everyone whose turn is over waits for the same turn", async () => {
  const a = yieldTurn();
  const b = yieldTurn();
  assert.equal(a, b);
  await a;
  assert.notEqual(yieldTurn(), a);
  await yieldTurn();
});

Deno.test("work that yields its turns lets a connection be accepted and read meanwhile", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let received = "";
  const serve = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    received = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    conn.close();
  })();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await client.write(new TextEncoder().encode("hello"));
  const stretches = await busyUntil(() => received !== "");
  assert.equal(received, "hello");
  assert.ok(stretches < 100, `the server waited ${stretches} stretches of work`);
  await serve;
  client.close();
  listener.close();
});

Deno.test("a turn lets a local peer answer: many round trips fit in one turn", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echo = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(16);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      await conn.write(buf.subarray(0, n));
    }
    conn.close();
  })();
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const ROUND_TRIPS = 200;
  let done = 0;
  const talk = (async () => {
    const buf = new Uint8Array(16);
    for (; done < ROUND_TRIPS; done++) {
      await client.write(new Uint8Array([done]));
      await client.read(buf);
    }
  })();
  // Work in 1 ms stretches (a glob listing directories). A turn that returns as soon as the loop
  // polled once gives each exchange one hop per stretch of work (a dtailhealth beside two glob
  // explosions took ~2 s): one that waits a moment lets a nearby client answer meanwhile.
  const start = performance.now();
  let stretches = 0;
  while (done < ROUND_TRIPS && performance.now() - start < 5000) {
    spin(1);
    stretches++;
    await yieldTurn();
  }
  await talk;
  client.close();
  await echo;
  listener.close();
  assert.ok(stretches <= ROUND_TRIPS / 4, `${ROUND_TRIPS} round trips took ${stretches} turns`);
});

Deno.test("work that yields its turns lets a signal listener run meanwhile", async () => {
  let signalled = false;
  const onSignal = () => (signalled = true);
  Deno.addSignalListener("SIGUSR2", onSignal);
  try {
    Deno.kill(Deno.pid, "SIGUSR2");
    const stretches = await busyUntil(() => signalled);
    assert.equal(signalled, true);
    assert.ok(stretches < 100, `the signal waited ${stretches} stretches of work`);
  } finally {
    Deno.removeSignalListener("SIGUSR2", onSignal);
  }
});

/**
 * Runs `body` as a script of its own process, after `import { <names> } from` this turns.ts (state
 * of its own); its stdout and stderr, its exit code.
 */
async function runScript(
  names: string,
  body: string,
  permissions: string[] = [],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-turns-" });
  try {
    const script = `${dir}/script.ts`;
    const turns = JSON.stringify(new URL("./turns.ts", import.meta.url).href);
    await Deno.writeTextFile(script, `import { ${names} } from ${turns};\n${body}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, "--no-prompt", "--no-check", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { stdout: text(out.stdout), stderr: text(out.stderr), code: out.code };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a process whose only pending work awaits yieldTurn finishes that work", async () => {
  // Not top-level await: nothing but the turn itself may keep this process alive.
  const out = await runScript(
    "yieldTurn",
    `void (async () => {
      for (let i = 0; i < 3; i++) await yieldTurn();
      console.log("after three turns");
    })();`,
  );
  assert.equal(out.stderr, "");
  assert.equal(out.stdout, "after three turns\n");
  assert.equal(out.code, 0);
});

Deno.test("without sockets to wait for, turns are quick and a signal still comes through", async () => {
  const out = await runScript(
    "noSocketsWait, yieldTurn",
    `noSocketsWait();
    let signalled = false;
    Deno.addSignalListener("SIGUSR2", () => (signalled = true));
    let turns = 0;
    const start = performance.now();
    while (performance.now() - start < 400) {
      const until = performance.now() + 1;
      while (performance.now() < until) {}
      await yieldTurn();
      turns++;
      if (turns === 20) Deno.kill(Deno.pid, "SIGUSR2");
    }
    console.log(JSON.stringify({ turns, signalled }));
    Deno.exit(0);`,
    ["--allow-run"],
  );
  assert.equal(out.stderr, "");
  const { turns, signalled } = JSON.parse(out.stdout);
  assert.equal(signalled, true);
  // 1 ms of work and a ~0.2 ms turn: ~330 in 400 ms; polling turns of ~2.4 ms give ~120.
  assert.ok(turns > 200, `${turns} turns in 400 ms`);
});

/** Busy-waits `ms` (the event loop does not run). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // synchronous work
  }
}

Deno.test("while a connection arrives turns are short; once it settled they are whole again", async () => {
  turnStarted();
  const settled = arriving();
  spin(BUSY_TURN_MS + 2);
  assert.equal(turnIsOver(), true, "the turn under way is cut short");
  await yieldTurn();
  spin(BUSY_TURN_MS + 2);
  assert.equal(turnIsOver(), true, "the next one is short too");
  settled();
  turnStarted(); // a turn that started after it settled
  spin(BUSY_TURN_MS + 2);
  assert.equal(turnIsOver(), false);
});
