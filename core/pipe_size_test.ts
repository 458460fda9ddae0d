import assert from "node:assert/strict";
import { growingSink } from "./pipe_size.ts";

Deno.test("standard output's sink grows the pipe once, before the write that reaches the bound", () => {
  const events: string[] = [];
  const sink = growingSink(
    (bytes) => events.push(`write ${bytes.length}`),
    100,
    () => events.push("grow"),
  );
  sink(new Uint8Array(60));
  sink(new Uint8Array(39));
  assert.deepEqual(events, ["write 60", "write 39"], "99 bytes: no FFI set-up");
  sink(new Uint8Array(1));
  sink(new Uint8Array(500));
  assert.deepEqual(events, ["write 60", "write 39", "grow", "write 1", "write 500"]);
});

Deno.test("one large first write grows the pipe before it goes out", () => {
  const events: string[] = [];
  const sink = growingSink((b) => events.push(`write ${b.length}`), 100, () => events.push("grow"));
  sink(new Uint8Array(1 << 20));
  assert.deepEqual(events, ["grow", `write ${1 << 20}`]);
});

Deno.test("growStdoutPipe makes a pipe on standard output 1 MiB large", async () => {
  if (Deno.build.os !== "linux") return;
  const F_GETPIPE_SZ = 1032;
  const libc = new URL("./libc.ts", import.meta.url).href;
  const pipeSize = new URL("./pipe_size.ts", import.meta.url).href;
  const script = `
    const { fileLibc } = await import(${JSON.stringify(libc)});
    const { growStdoutPipe } = await import(${JSON.stringify(pipeSize)});
    const before = fileLibc().fcntl(1, ${F_GETPIPE_SZ}, 0);
    growStdoutPipe();
    console.error(before, fileLibc().fcntl(1, ${F_GETPIPE_SZ}, 0));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-lock", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 0, said);
  assert.equal(said, `${64 * 1024} ${1 << 20}`);
});

Deno.test("reading standard input from a pipe grows that pipe to 1 MiB", async () => {
  if (Deno.build.os !== "linux") return;
  const F_GETPIPE_SZ = 1032;
  const libc = new URL("./libc.ts", import.meta.url).href;
  const source = new URL("./source.ts", import.meta.url).href;
  const script = `
    const { fileLibc } = await import(${JSON.stringify(libc)});
    const { stdinChunks } = await import(${JSON.stringify(source)});
    const before = fileLibc().fcntl(0, ${F_GETPIPE_SZ}, 0);
    let bytes = 0;
    let during = 0;
    for await (const chunk of stdinChunks()) {
      bytes += chunk.length;
      during = fileLibc().fcntl(0, ${F_GETPIPE_SZ}, 0);
    }
    console.error(before, during, bytes);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-lock", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("a line\n".repeat(20_000)));
  await writer.close();
  const out = await child.output();
  const said = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 0, said);
  assert.equal(said, `${64 * 1024} ${1 << 20} ${7 * 20_000}`);
});
