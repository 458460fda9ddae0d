import assert from "node:assert/strict";
import { accepts, freePort, waitUntilAccepts } from "./local_port.ts";

Deno.test("a free port accepts nothing until something listens on it", async () => {
  const port = freePort();
  assert.equal(await accepts(port), false);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    assert.equal(await accepts(port), true);
  } finally {
    listener.close();
  }
});

Deno.test("waiting for a port ends when it accepts, when the server exits or at the timeout", async () => {
  const sleeper = () => new Deno.Command("sleep", { args: ["5"] }).spawn();
  const port = freePort();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const serving = sleeper();
  try {
    assert.equal(await waitUntilAccepts(port, serving, 2_000), "accepts");
  } finally {
    listener.close();
  }
  assert.equal(await waitUntilAccepts(freePort(), serving, 100), "timeout");
  serving.kill("SIGKILL");
  await serving.status;
  const quitter = new Deno.Command("true").spawn();
  assert.equal(await waitUntilAccepts(freePort(), quitter, 5_000), "exited");
});
