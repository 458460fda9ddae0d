import assert from "node:assert/strict";
import { armDeadline, delay } from "./delay.ts";

const DELAY_URL = new URL("./delay.ts", import.meta.url).href;

/** Runs `code` (which may import `delay`) as a process of its own, with Deno's debug log. */
async function runScript(code: string): Promise<{ stdout: string; log: string; ms: number }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-delay-" });
  try {
    const script = `${dir}/script.ts`;
    await Deno.writeTextFile(
      script,
      `import { delay } from ${JSON.stringify(DELAY_URL)};\n${code}`,
    );
    const start = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-L", "debug", "--no-prompt", "--no-check", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - start;
    assert.equal(out.code, 0);
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { stdout: text(out.stdout), log: text(out.stderr), ms };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("delay resolves true once the time has passed", async () => {
  const start = performance.now();
  assert.equal(await delay(30), true);
  assert.ok(performance.now() - start >= 25);
});

Deno.test("delay resolves false at once when cancelled, before or while it waits", async () => {
  const cancel = new AbortController();
  const start = performance.now();
  const waiting = delay(10_000, cancel.signal);
  cancel.abort();
  assert.equal(await waiting, false);
  assert.equal(await delay(10_000, cancel.signal), false);
  assert.ok(performance.now() - start < 1000);
});

Deno.test("a process whose only work awaits a delay lives until the delay ends", async () => {
  // Not top-level await: nothing but the delay's timer may keep this process alive.
  const r = await runScript(
    'void (async () => { await delay(300); console.log("after the delay"); })();',
  );
  assert.equal(r.stdout, "after the delay\n");
});

Deno.test("a cancelled delay no longer keeps the process alive", async () => {
  const r = await runScript(`
    const cancel = new AbortController();
    void delay(20_000, cancel.signal).then((fired) => console.log(fired));
    void delay(50).then(() => cancel.abort());
  `);
  assert.equal(r.stdout, "false\n");
  assert.ok(r.ms < 10_000, `the process lived ${r.ms} ms`);
});

Deno.test("delay loads none of Deno's Node modules, which setTimeout does", async () => {
  const ours = await runScript("await delay(0);");
  assert.match(ours.log, /delay\.ts/); // the debug log names the modules loaded
  assert.doesNotMatch(ours.log, /ext:deno_node/);
  const node = await runScript("await new Promise((resolve) => setTimeout(resolve, 0));");
  assert.match(node.log, /ext:deno_node\/timers/);
});

Deno.test("a deadline fires after its seconds, and one past a 32-bit timer does not fire at once", async () => {
  let fired = 0;
  armDeadline(0.02, () => fired++);
  const cancel = armDeadline(99_999_999_999, () => fired += 100);
  await new Promise((r) => setTimeout(r, 100));
  cancel();
  assert.equal(fired, 1);
});

Deno.test("a cancelled deadline never fires", async () => {
  let fired = false;
  armDeadline(0.02, () => fired = true)();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fired, false);
});
