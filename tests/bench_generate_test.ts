/**
 * The bench's generated data (bench/generate.ts, bench/generate_mixed.ts,
 * bench/dmap_generate_mixed.ts), at a small size: the same bytes on every run, exactly the size
 * asked for, and the second shapes as issue 15 describes them (half the lines non-ASCII, 2% over
 * 4 KB, hits for every search the bench times).
 */
import assert from "node:assert/strict";
import { RARE_TOKEN, writeLog } from "../bench/generate.ts";
import { LONG_LINE_BYTES, writeMixedLog } from "../bench/generate_mixed.ts";
import { writeMaprMixedLog } from "../bench/dmap_generate_mixed.ts";

const SIZE = 2 * 1024 * 1024;
const encoder = new TextEncoder();

/** Writes the file twice into a temp dir; both copies' bytes. */
async function twice(write: (path: string) => void): Promise<[Uint8Array, Uint8Array]> {
  const dir = await Deno.makeTempDir({ prefix: "bench-generate-" });
  try {
    write(`${dir}/a.log`);
    write(`${dir}/b.log`);
    return [await Deno.readFile(`${dir}/a.log`), await Deno.readFile(`${dir}/b.log`)];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function lines(bytes: Uint8Array): string[] {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  assert.ok(text.endsWith("\n"), "the file ends with a newline");
  return text.slice(0, -1).split("\n");
}

const share = (all: readonly string[], test: (line: string) => boolean) =>
  all.filter(test).length / all.length;
const nonAscii = (line: string) => /[^\p{ASCII}]/u.test(line);
const overLong = (line: string) => encoder.encode(line).length > LONG_LINE_BYTES;

Deno.test("app.log's generator writes the same ASCII bytes twice, exactly the size asked for", async () => {
  const [a, b] = await twice((path) => writeLog(path, SIZE));
  assert.equal(a.length, SIZE);
  assert.deepEqual(a, b);
  assert.ok(lines(a).every((line) => !nonAscii(line)), "app.log is pure ASCII");
});

Deno.test("mixed.log's generator writes the same bytes twice, exactly the size asked for", async () => {
  const [a, b] = await twice((path) => writeMixedLog(path, SIZE));
  assert.equal(a.length, SIZE);
  assert.deepEqual(a, b);
});

Deno.test("mixed.log has half its lines non-ASCII, 2% over 4 KB, short lines and hits for every search", async () => {
  const [bytes] = await twice((path) => writeMixedLog(path, SIZE));
  const all = lines(bytes);
  const nonAsciiShare = share(all, nonAscii);
  const longShare = share(all, overLong);
  assert.ok(nonAsciiShare > 0.45 && nonAsciiShare < 0.55, `non-ASCII lines: ${nonAsciiShare}`);
  assert.ok(longShare > 0.01 && longShare < 0.03, `lines over 4 KB: ${longShare}`);
  assert.ok(share(all, (line) => line.length < 40) > 0.2, "many very short lines");
  assert.ok(share(all, (line) => /\p{Script=Han}/u.test(line)) > 0.05, "CJK text");
  assert.ok(share(all, (line) => /\p{Extended_Pictographic}/u.test(line)) > 0.05, "emoji");
  const errors = share(all, (line) => line.includes("ERROR"));
  assert.ok(errors > 0.15 && errors < 0.23, `ERROR lines: ${errors}`);
  assert.ok(share(all, (line) => /[0-9]+ms/.test(line)) > 0.3, "the regex case has hits");
  assert.ok(
    all.filter((line) => line.includes(RARE_TOKEN)).length >= 2,
    "the rare literal is there",
  );
});

Deno.test("mapr-mixed.log is deterministic, half non-ASCII, 2% over 4 KB, and its STATS lines carry mapr.log's fields", async () => {
  const [a, b] = await twice((path) => writeMaprMixedLog(path, SIZE));
  assert.equal(a.length, SIZE);
  assert.deepEqual(a, b);
  const all = lines(a);
  const nonAsciiShare = share(all, nonAscii);
  const longShare = share(all, overLong);
  assert.ok(nonAsciiShare > 0.45 && nonAsciiShare < 0.55, `non-ASCII lines: ${nonAsciiShare}`);
  assert.ok(longShare > 0.01 && longShare < 0.03, `lines over 4 KB: ${longShare}`);
  const stats = all.filter((line) => line.split("|")[9] === "MAPREDUCE:STATS");
  assert.ok(stats.length / all.length > 0.35, `STATS lines: ${stats.length / all.length}`);
  const fields = ["host", "currentConnections", "lifetimeConnections", "latencyMs", "path"];
  for (const line of stats) {
    const keys = new Set(line.split("|").slice(10).map((kv) => kv.split("=")[0]));
    assert.ok(fields.every((field) => keys.has(field)), `a STATS line lacks a field: ${line}`);
    assert.ok(line.startsWith("INFO|"), "the default format reads only INFO lines");
  }
});
