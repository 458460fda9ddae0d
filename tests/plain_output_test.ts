/**
 * `dcat --plain` prints the same bytes whatever its standard output is: into a pipe or a file
 * plain files are sent by sendfile(2) (cli/sent_lines.ts), into a file opened for appending they are
 * read and written as usual.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { bytesEqual, DENO_DIR, RUN_MAIN, tempDir } from "./helpers.ts";

const encoder = new TextEncoder();

function lines(from: number, count: number, width: number): string {
  let text = "";
  for (let i = from; i < from + count; i++) text += `line ${i} `.padEnd(width - 1, "é") + "\n";
  return text;
}

async function dcatInto(dir: string, redirect: string, args: string[]): Promise<Uint8Array> {
  const quoted = [Deno.execPath(), ...RUN_MAIN, "--plain", ...args].map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command("sh", {
    args: ["-c", `${quoted} ${redirect}`],
    cwd: dir,
    env: { DTAIL_PROGRAM: "dcat", NO_COLOR: "", DENO_DIR },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return await Deno.readFile(`${dir}/${redirect.split(" ").pop()}`);
}

Deno.test("dcat --plain prints the same bytes into a pipe, a file and a file it appends to", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/dtail.json`,
      JSON.stringify({ Server: { MaxLineLength: 5000 } }),
    );
    // Whole lines; lines around and over MaxLineLength (split) and an unterminated end; a small
    // file; a compressed one.
    await Deno.writeTextFile(`${dir}/a.log`, lines(0, 6000, 120));
    await Deno.writeTextFile(
      `${dir}/b.log`,
      lines(0, 3000, 100) + "x".repeat(5000) + "\n" + "z".repeat(5001) + "\n" +
        lines(3000, 3000, 100) + "y".repeat(12_345) + "\n" + lines(6000, 2000, 90) + "no end",
    );
    await Deno.writeTextFile(`${dir}/c.log`, lines(0, 3, 40));
    await Deno.writeFile(`${dir}/d.log.gz`, gzipSync(encoder.encode(lines(0, 5000, 80))));
    const args = ["--cfg", "dtail.json", "a.log", "b.log", "c.log", "d.log.gz", "a.log"];
    const appended = await dcatInto(dir, ">> appended", args);
    const piped = await dcatInto(dir, "| cat > piped", args);
    const written = await dcatInto(dir, "> written", args);
    const text = new TextDecoder().decode(appended);
    assert.ok(text.includes("\n" + "z".repeat(5000) + "\nz\n"), "a line 1 byte too long is split");
    assert.ok(text.includes("\n" + "y".repeat(5000) + "\n"), "the long line is split");
    assert.ok(text.includes("no end\nline 0 "), "the unterminated line is ended");
    assert.ok(bytesEqual(piped, appended), "into a pipe");
    assert.ok(bytesEqual(written, appended), "into a file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
