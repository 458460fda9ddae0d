import assert from "node:assert/strict";
import { join } from "node:path";
import { cPath, fileLibc } from "../core/libc.ts";
import { openRegular } from "../core/open_file.ts";
import { BufferedOutput, OutputClosedError } from "../core/output.ts";
import type { Sink } from "../core/sink.ts";
import { withSentLines } from "./sent_lines.ts";

const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const encoder = new TextEncoder();

/** A descriptor of `path` opened for writing, as a shell's `>` (or `>>`) gives one. */
function openForWriting(path: string, append = false): number {
  const flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC);
  const fd = fileLibc()!.open(cPath(path), flags, 0o600);
  assert(fd >= 0, `open ${path}`);
  return fd;
}

const noSink: Sink = { selection: () => {} };

function lines(count: number, width: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += `line ${i} `.padEnd(width - 1, "x") + "\n";
  return text;
}

/** Sends `content` from a file through withSentLines into another file: the offset and what came. */
async function sendFile(
  content: string | Uint8Array,
  options: { maxLineLength?: number; append?: boolean; before?: string; signal?: AbortSignal } = {},
): Promise<{ offset: number; written: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sent-lines-" });
  try {
    const input = join(dir, "in.log");
    const output = join(dir, "out");
    await Deno.writeFile(input, typeof content === "string" ? encoder.encode(content) : content);
    const fd = openForWriting(output, options.append);
    try {
      // What was printed before goes out through the same descriptor, as stdout's output does.
      const out = new BufferedOutput((bytes) =>
        assert.deepStrictEqual(writeAll(fd, bytes), bytes.length)
      );
      if (options.before !== undefined) out.string(options.before);
      const sink = withSentLines(noSink, out, {
        fd,
        maxLineLength: options.maxLineLength ?? 1 << 20,
        minBytes: 0,
      });
      const opened = openRegular(input);
      try {
        const offset = await sink.leadingLines!(
          opened,
          options.signal ?? new AbortController().signal,
        );
        out.flush();
        return { offset, written: await Deno.readTextFile(output) };
      } finally {
        opened.file.close();
      }
    } finally {
      fileLibc()!.close(fd);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const writeLib = Deno.dlopen("libc.so.6", {
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  pipe: { parameters: ["buffer"], result: "i32" },
});

function writeAll(fd: number, bytes: Uint8Array): number {
  let written = 0;
  while (written < bytes.length) {
    const n = Number(
      writeLib.symbols.write(fd, bytes.subarray(written), BigInt(bytes.length - written)),
    );
    if (n <= 0) break;
    written += n;
  }
  return written;
}

Deno.test("a file of whole lines is sent whole, after what was printed before it", async () => {
  const text = lines(3000, 120);
  const sent = await sendFile(text, { before: "earlier output\n" });
  assert.deepStrictEqual(sent.offset, text.length);
  assert.deepStrictEqual(sent.written, "earlier output\n" + text);
});

Deno.test("an unterminated last line is left to the ordinary read", async () => {
  const text = lines(500, 80) + "no newline at the end";
  const sent = await sendFile(text);
  assert.deepStrictEqual(sent.offset, text.lastIndexOf("\n") + 1);
  assert.deepStrictEqual(sent.written, text.slice(0, sent.offset));
});

Deno.test("the lines stop before a line longer than maxLineLength, which the read splits", async () => {
  const before = lines(40, 50); // 2,000 bytes
  const text = before + "y".repeat(300) + "\n" + lines(40, 50);
  const sent = await sendFile(text, { maxLineLength: 100 });
  assert.deepStrictEqual(sent.offset, before.length);
  assert.deepStrictEqual(sent.written, before);
});

Deno.test("a line exactly maxLineLength long is sent; one byte longer is not", async () => {
  const exact = "a".repeat(99) + "\n" + "b".repeat(100) + "\n";
  assert.deepStrictEqual((await sendFile(exact, { maxLineLength: 100 })).offset, exact.length);
  const longer = "a".repeat(99) + "\n" + "b".repeat(101) + "\n";
  assert.deepStrictEqual((await sendFile(longer, { maxLineLength: 100 })).offset, 100);
});

Deno.test("line ends are found past a look-back of more than one block", async () => {
  // Lines of 70 KB: the last newline of each window lies more than 64 KiB back from its end.
  const text = lines(12, 70_000);
  const sent = await sendFile(text, { maxLineLength: 100_000 });
  assert.deepStrictEqual(sent.offset, text.length);
  assert.deepStrictEqual(sent.written, text);
});

Deno.test("compressed content is never sent as it is", async () => {
  const gzipMagic = new Uint8Array([0x1f, 0x8b, 8, 0, ...encoder.encode("\nabc\n")]);
  assert.deepStrictEqual(await sendFile(gzipMagic), { offset: 0, written: "" });
  const zstdMagic = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...encoder.encode("\nabc\n")]);
  assert.deepStrictEqual(await sendFile(zstdMagic), { offset: 0, written: "" });
});

Deno.test("a descriptor that refuses sendfile (opened for appending) gets nothing", async () => {
  assert.deepStrictEqual(await sendFile(lines(100, 60), { append: true }), {
    offset: 0,
    written: "",
  });
});

Deno.test("an aborted read sends nothing", async () => {
  const stop = new AbortController();
  stop.abort();
  assert.deepStrictEqual(await sendFile(lines(100, 60), { signal: stop.signal }), {
    offset: 0,
    written: "",
  });
});

Deno.test("a pipe whose reader went away ends the read as closed output", async () => {
  const fds = new Int32Array(2);
  assert.deepStrictEqual(writeLib.symbols.pipe(new Uint8Array(fds.buffer)), 0);
  fileLibc()!.close(fds[0]!);
  const dir = await Deno.makeTempDir({ prefix: "sent-lines-" });
  try {
    const input = join(dir, "in.log");
    await Deno.writeTextFile(input, lines(100, 60));
    const sink = withSentLines(noSink, new BufferedOutput(() => {}), {
      fd: fds[1]!,
      maxLineLength: 1 << 20,
      minBytes: 0,
    });
    const opened = openRegular(input);
    try {
      await assert.rejects(
        () => sink.leadingLines!(opened, new AbortController().signal),
        OutputClosedError,
      );
    } finally {
      opened.file.close();
    }
  } finally {
    fileLibc()!.close(fds[1]!);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files under minBytes are left to the ordinary read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sent-lines-" });
  try {
    const input = join(dir, "in.log");
    await Deno.writeTextFile(input, lines(10, 60));
    const sink = withSentLines(noSink, new BufferedOutput(() => {}), {
      fd: -1, // any send would fail
      maxLineLength: 1 << 20,
      minBytes: 601,
    });
    const opened = openRegular(input);
    try {
      assert.deepStrictEqual(await sink.leadingLines!(opened, new AbortController().signal), 0);
    } finally {
      opened.file.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
