import assert from "node:assert/strict";
import { MessageReader } from "../../core/protocol/messages.ts";
import { SessionOutput } from "./session_output.ts";

function output() {
  const written: Uint8Array[] = [];
  const out = new SessionOutput({
    write: (bytes) => {
      written.push(bytes.slice());
      return Promise.resolve();
    },
  }, { hostname: "box", who: "u@r" });
  const messages = () => {
    const reader = new MessageReader();
    return written.flatMap((w) => reader.push(w)).map((m) => new TextDecoder().decode(m));
  };
  return { out, messages };
}

Deno.test("the session advertises query-update-v1 next to our own capabilities", async () => {
  const { out, messages } = output();
  out.advertiseCapabilities();
  await out.flush();
  assert.deepEqual(messages(), [
    ".syn capabilities escape-ac-v1 plain-blocks-v1 query-update-v1 tail-resume-v1 " +
    "mapr-sketch-v1 mapr-formats-v1 mapr-bucket-v1 time-range-v1 progress-v1",
  ]);
});

Deno.test("a replaced generation's writer writes nothing and waits for nothing", async () => {
  const { out, messages } = output();
  const first = out.forGeneration(1);
  out.startGeneration(1);
  first.payload("AGGREGATE|box|one");
  out.startGeneration(2);
  const second = out.forGeneration(2);
  assert.ok(first.stale && !second.stale && !out.stale);
  first.payload("AGGREGATE|box|stale");
  first.notice("warn", "stale notice");
  first.control(".mapr malformed 1");
  await first.flush();
  out.control(".syn session update ok 2");
  second.payload("AGGREGATE|box|two");
  await out.flush();
  assert.deepEqual(messages(), [".syn session update ok 2", "AGGREGATE|box|two"]);
});

Deno.test("writers of all generations share the latched options", () => {
  const { out } = output();
  const writer = out.forGeneration(1);
  writer.latch({ plain: "true" });
  out.latch({ escape: "ac" }); // only the first options count
  assert.ok(out.plain && writer.plain && !out.escape);
});
