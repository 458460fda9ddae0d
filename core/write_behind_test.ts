import assert from "node:assert/strict";

const dec = new TextDecoder();
const output = new URL("./output.ts", import.meta.url).href;
const writeBehind = new URL("./write_behind.ts", import.meta.url).href;

/** A process writing `lines` numbered lines through a BufferedOutput with a WriteBehind. */
function writerScript(lines: number): string {
  return `
    const { BufferedOutput, fileSink } = await import(${JSON.stringify(output)});
    const { WriteBehind } = await import(${JSON.stringify(writeBehind)});
    const sink = fileSink(Deno.stdout);
    const behind = new WriteBehind(1, sink, 0);
    const out = new BufferedOutput(sink, 64 * 1024, { behind });
    try {
      for (let i = 0; i < ${lines}; i++) out.string(i + " " + "x".repeat(i % 90) + "\\n");
      out.flush();
      console.error("behind", behind.wroteBehind);
    } catch (err) {
      console.error("error", err.name);
    }
  `;
}

function expected(lines: number): string {
  let text = "";
  for (let i = 0; i < lines; i++) text += i + " " + "x".repeat(i % 90) + "\n";
  return text;
}

async function shell(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const deno = `'${Deno.execPath()}' eval --no-config --no-lock`;

Deno.test("writes behind into a pipe arrive whole and in order", async () => {
  if (Deno.build.os !== "linux") return;
  const lines = 200_000; // ~10 MB: many 64 KiB buffers
  const script = writerScript(lines);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "--no-lock", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = dec.decode(out.stderr).trim();
  assert.equal(out.code, 0, said);
  assert.equal(dec.decode(out.stdout), expected(lines));
  const behind = Number(said.match(/^behind (\d+)$/)?.[1]);
  assert.ok(behind > 50, `only ${said} pieces went behind`);
});

Deno.test("a regular file on standard output is written on the writer's thread", async () => {
  if (Deno.build.os !== "linux") return;
  const dir = await Deno.makeTempDir({ prefix: "write_behind_test_" });
  try {
    const lines = 50_000;
    await Deno.writeTextFile(`${dir}/w.ts`, writerScript(lines));
    const r = await shell(`${deno} "$(cat '${dir}/w.ts')" > '${dir}/out'`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), "behind 0");
    assert.equal(await Deno.readTextFile(`${dir}/out`), expected(lines));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reader that goes away is an OutputClosedError of the writer", async () => {
  if (Deno.build.os !== "linux") return;
  const dir = await Deno.makeTempDir({ prefix: "write_behind_test_" });
  try {
    await Deno.writeTextFile(`${dir}/w.ts`, writerScript(2_000_000));
    const r = await shell(`${deno} "$(cat '${dir}/w.ts')" | head -c 1000 > /dev/null`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), "error OutputClosedError");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
