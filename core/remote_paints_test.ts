import assert from "node:assert/strict";
import { RemotePaints } from "./remote_paints.ts";

const enc = new TextEncoder();

Deno.test("RemotePaints colors perc 100 as ok and anything else as a warning", () => {
  const p = new RemotePaints();
  assert.ok(p.prefix("h", "100", "1", "x").includes("\x1b[30m\x1b[42m100\x1b[49m\x1b[39m"));
  assert.ok(p.prefix("h", " 50", "1", "x").includes("\x1b[37m\x1b[41m 50\x1b[49m\x1b[39m"));
});

Deno.test("RemotePaints picks severity colors by the start of the line", () => {
  const p = new RemotePaints();
  assert.equal(p.textPaint(enc.encode("WARN|x")), p.warn);
  assert.equal(p.textPaint(enc.encode("ERROR|x")), p.error);
  assert.equal(p.textPaint(enc.encode("FATAL|x")), p.fatal);
  assert.equal(p.textPaint(enc.encode("INFO|x")), p.text);
  assert.equal(p.textPaint(enc.encode("WAR")), p.text);
  assert.equal(p.textPaint(enc.encode(" ERROR")), p.text);
  assert.equal(p.error.open, "\x1b[37m\x1b[41m\x1b[1m");
});
