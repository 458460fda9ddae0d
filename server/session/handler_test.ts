import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { blockHeader } from "../../core/protocol/blocks.ts";
import { MessageReader } from "../../core/protocol/messages.ts";
import { testDeps } from "./_test_deps.ts";
import { handleSession, type SessionIO, UNREADABLE } from "./handler.ts";
import { MAX_QUEUED_READS, MAX_SESSION_TAILS } from "./read_runner.ts";
import { Semaphore } from "../../core/semaphore.ts";
import { PermissionDeniedError } from "../access/safe_open.ts";
import { openRegular } from "../../core/open_file.ts";

const dec = new TextDecoder();

/** An in-memory session: commands go in as frames, messages come out split at 0xAC. */
function memorySession(commands: string[], escaped = false) {
  const written: Uint8Array[] = [];
  let closed = false;
  let release: () => void = () => {};
  const closedPromise = new Promise<void>((r) => (release = r));
  const io: SessionIO = {
    input: (async function* () {
      const all = commands.map((c) => encodeFrame(c));
      yield new Uint8Array(all.flatMap((f) => [...f]));
      await closedPromise; // the client keeps its side open until the server closes
    })(),
    write: (bytes) => {
      written.push(bytes.slice());
      const text = dec.decode(bytes);
      if (text.includes(".syn close connection")) {
        queueMicrotask(() => {
          // The client acknowledges the close request.
          ackHook?.();
        });
      }
      return Promise.resolve();
    },
    close: () => {
      closed = true;
      release();
    },
  };
  let ackHook: (() => void) | null = null;
  const messages = () => {
    const reader = new MessageReader(() => escaped);
    return written.flatMap((w) => reader.push(w)).map((m) => dec.decode(m));
  };
  const raw = () => new Uint8Array(written.flatMap((w) => [...w]));
  return {
    io,
    messages,
    raw,
    isClosed: () => closed,
    onAck: (f: () => void) => (ackHook = f),
    writes: () => written.length,
  };
}

const deps = testDeps;

async function withFile(content: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/app.log`, content);
  return `${dir}/app.log`;
}

Deno.test("a cat session sends capabilities, REMOTE lines with their newline, then asks to close", async () => {
  const path = await withFile("one\ntwo\nthree");
  const s = memorySession([`cat: ${path} regex:noop `]);
  await handleSession(s.io, { user: "u", remote: "127.0.0.1:5", health: false }, deps());
  assert.deepEqual(s.messages(), [
    ".syn capabilities escape-ac-v1 plain-blocks-v1 query-update-v1 tail-resume-v1 " +
    "mapr-sketch-v1 mapr-formats-v1 mapr-bucket-v1 time-range-v1 progress-v1",
    "REMOTE|box|100|1|app.log|one\n",
    "REMOTE|box|100|2|app.log|two\n",
    "REMOTE|box|100|3|app.log|three",
    ".syn close connection",
  ]);
  assert.ok(s.isClosed());
});

Deno.test("grep with context and plain mode sends raw lines", async () => {
  const path = await withFile("a\nb\nERROR x\nc\nd\n");
  const s = memorySession([`grep:after=1:before=1:plain=true ${path} regex:default,literal ERROR`]);
  await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
  assert.deepEqual(s.messages().slice(1, -1), ["b\n", "ERROR x\n", "c\n"]);
});

Deno.test("with escaping negotiated, 0xAC inside text arrives intact and notices are marked", async () => {
  const path = await withFile("price 5 €\n");
  const s = memorySession([
    `cat:escape=ac:plain=true ${path} regex:noop `,
    `cat:escape=ac /nonexistent/x regex:noop `,
  ], true);
  await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
  const m = s.messages();
  assert.equal(m[1], "price 5 €\n");
  assert.ok(m[2]!.startsWith("\xab\x03") || m[2]!.includes(UNREADABLE), m[2]);
  assert.match(m[2]!, new RegExp(UNREADABLE.replace(/[()]/g, "\\$&")));
});

Deno.test("a file the user may not read only says it could not be read", async () => {
  const path = await withFile("secret\n");
  let logged = "";
  const s = memorySession([`cat: ${path} regex:noop `]);
  const denied = new PermissionDeniedError("user u: no read permission");
  await handleSession(
    s.io,
    { user: "u", remote: "r", health: false },
    deps({
      open: () => {
        throw denied;
      },
      log: (_level, ...fields) => (logged += fields.join("|")),
    }),
  );
  const notice = s.messages()[1]!;
  assert.match(
    notice,
    /^SERVER\|box\|WARN\|\d{4}-\d{6}\|u@r\|Unable to read file\(s\), check server logs\n$/,
  );
  assert.ok(!notice.includes("permission"));
  assert.match(logged, /no read permission/);
});

Deno.test("bad frames and unknown commands get error notices and the session goes on", async () => {
  const path = await withFile("x\n");
  const s = memorySession([`cat: ${path} regex:noop `]);
  const io: SessionIO = {
    ...s.io,
    input: (async function* () {
      const enc = new TextEncoder();
      yield enc.encode("garbage;protocol 5.0 base64 YQ==;");
      yield encodeFrame("frobnicate 1 2");
      for await (const c of s.io.input) yield c;
    })(),
  };
  await handleSession(io, { user: "u", remote: "r", health: false }, deps());
  const m = s.messages();
  assert.match(m[1]!, /unable to determine protocol version/);
  assert.match(m[2]!, /please update DTail server/);
  assert.match(m[3]!, /Received unknown user command\|frobnicate\|3\|\[frobnicate 1 2\]\n$/);
  assert.equal(m[4], "REMOTE|box|100|1|app.log|x\n");
});

Deno.test("an oversized frame closes the session", async () => {
  const s = memorySession([]);
  const config = defaultConfig(() => undefined);
  config.Server.MaxCommandFrameSize = 100;
  const io: SessionIO = {
    ...s.io,
    input: (async function* () {
      yield new TextEncoder().encode("x".repeat(200));
      await new Promise(() => {}); // never ends by itself
    })(),
  };
  await handleSession(io, { user: "u", remote: "r", health: false }, deps({ config }));
  assert.match(s.messages()[1]!, /command frame larger than 100 bytes/);
  assert.ok(s.isClosed());
});

Deno.test("a health session answers OK and closes", async () => {
  const s = memorySession(["health"]);
  await handleSession(s.io, { user: "DTAIL-HEALTH", remote: "r", health: true }, deps());
  assert.deepEqual(s.messages(), ["SERVER|box|OK\n", ".syn close connection"]);
});

Deno.test("AUTHKEY is answered as a notice and does not end the session by itself", async () => {
  const path = await withFile("x\n");
  const s = memorySession(["AUTHKEY AAAA", `cat: ${path} regex:noop `]);
  await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
  assert.equal(s.messages()[1], "SERVER|box|AUTHKEY OK\n");
  assert.equal(s.messages()[2], "REMOTE|box|100|1|app.log|x\n");
});

Deno.test("a map command turns the reads into AGGREGATE messages sent before the close request", async () => {
  const line = (g: number) =>
    `INFO|1124-101010|1|s.go:1|8|${g}|7|0.5|1s|MAPREDUCE:STATS|host=web01`;
  const path = await withFile([line(4), "not a stats line", line(6)].join("\n") + "\n");
  const s = memorySession([
    "map: from STATS select count($line),max($goroutines) group by host",
    `cat: ${path} regex:default \\|MAPREDUCE:STATS\\|`,
  ]);
  await handleSession(s.io, { user: "u", remote: "127.0.0.1:5", health: false }, deps());
  assert.deepEqual(s.messages(), [
    ".syn capabilities escape-ac-v1 plain-blocks-v1 query-update-v1 tail-resume-v1 " +
    "mapr-sketch-v1 mapr-formats-v1 mapr-bucket-v1 time-range-v1 progress-v1",
    "AGGREGATE|box|web01∥2∥count($line)≔2∥max($goroutines)≔6∥",
    ".syn close connection",
  ]);
});

Deno.test("a malformed map query is answered with an error notice naming the problem", async () => {
  const s = memorySession(["map: select count($line) limit ten"]);
  s.onAck(() => {});
  const session = handleSession(s.io, { user: "u", remote: "127.0.0.1:5", health: false }, deps());
  await new Promise((r) => setTimeout(r, 100));
  s.io.close();
  await session;
  // As the Go dserver sends it: the parser's error, with no level.
  const notice = s.messages().find((m) => m.startsWith("SERVER|box|Invalid query: "));
  assert.ok(notice, s.messages().join("\n"));
  assert.match(notice, /ten/);
});

Deno.test("raw blocks go only to a client that asked for them with escaping and plain output", async () => {
  const path = await withFile("one\ntwo\n");
  const session = async (options: string) => {
    const s = memorySession([`cat:${options} ${path} regex:noop `], true);
    await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
    return s;
  };
  const sent = async (options: string) => (await session(options)).messages().slice(1, -1);
  const block = [...blockHeader(8), ...new TextEncoder().encode("one\ntwo\n"), 0xac];
  const raw = [...(await session("blocks=v1:escape=ac:plain=true")).raw()];
  assert.ok(
    raw.join(",").includes(block.join(",")),
    "one block with both lines",
  );
  assert.deepEqual(await sent("blocks=v1:plain=true"), ["one\n", "two\n"]);
  assert.deepEqual(await sent("blocks=v1:escape=ac"), [
    "REMOTE|box|100|1|app.log|one\n",
    "REMOTE|box|100|2|app.log|two\n",
  ]);
});

Deno.test("a client that stops reading pauses the file reads (raw blocks bypass the buffer)", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/big.log`;
  await Deno.writeTextFile(path, "0123456789abcdefghij\n".repeat(1_000_000)); // 21 MB
  let stalled = true;
  const waiting: (() => void)[] = [];
  let written = 0;
  let release: () => void = () => {};
  const clientDone = new Promise<void>((r) => (release = r));
  const io: SessionIO = {
    input: (async function* () {
      yield encodeFrame(`cat:blocks=v1:escape=ac:plain=true ${path} regex:noop `);
      await clientDone;
    })(),
    write: (bytes) => {
      written += bytes.length;
      if (new TextDecoder().decode(bytes).includes(".syn close connection")) release();
      // The client reads the first megabyte, then stops.
      const stop = stalled && written > 1024 * 1024;
      return stop ? new Promise<void>((r) => waiting.push(r)) : Promise.resolve();
    },
    close: () => release(),
  };
  let read = 0;
  const session = handleSession(
    io,
    { user: "u", remote: "r", health: false },
    deps({
      open: (_user, p) => {
        const opened = openRegular(p);
        const file = opened.file;
        const readSync = file.readSync.bind(file);
        file.readSync = (buf) => {
          const n = readSync(buf);
          read += n ?? 0;
          return n;
        };
        return opened;
      },
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(read >= 1024 * 1024, `read ${read} bytes`);
  assert.ok(read <= 4 * 1024 * 1024, `read ${read} bytes while the client read nothing`);
  stalled = false;
  for (const w of waiting.splice(0)) w();
  await session;
  assert.equal(read, 21_000_000);
  assert.ok(written > 21_000_000, "everything was sent once the client read again");
});

Deno.test("a Go client's commands sent one at a time are all answered before the close", async () => {
  const a = await withFile("from a\n");
  const b = await withFile("from b\n");
  const written: string[] = [];
  let release: () => void = () => {};
  const done = new Promise<void>((r) => (release = r));
  const io: SessionIO = {
    input: (async function* () {
      yield encodeFrame(`cat:plain=true ${a} regex:noop `);
      await new Promise((r) => setTimeout(r, 30)); // the first cat is long done by now
      yield encodeFrame(`cat:plain=true ${b} regex:noop `);
      await done;
    })(),
    write: (bytes) => {
      written.push(dec.decode(bytes));
      if (written.join("").includes(".syn close connection")) release();
      return Promise.resolve();
    },
    close: () => release(),
  };
  await handleSession(io, { user: "u", remote: "r", health: false }, deps());
  const text = written.join("");
  assert.ok(text.indexOf("from b") >= 0, text);
  assert.ok(text.indexOf("from b") < text.indexOf(".syn close connection"), text);
});

Deno.test("after a refused map query the session's reads send no lines", async () => {
  const path = await withFile("INFO|1124-101010|1|x.go:1|8|1|1|0.1|1s|MAPREDUCE:X|a=1\n");
  const s = memorySession([
    "map: from X select nosuchagg(a)",
    `cat: ${path} regex:noop `,
  ]);
  await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
  const m = s.messages();
  assert.ok(m.some((x) => /Invalid query: .*nosuchagg/i.test(x)), JSON.stringify(m));
  assert.ok(!m.some((x) => x.startsWith("REMOTE|")), JSON.stringify(m));
  assert.equal(m.at(-1), ".syn close connection");
});

Deno.test("a health session with another command shuts down at once and never says OK", async () => {
  const s = memorySession(["AUTHKEY AAAA", "health"]);
  await handleSession(s.io, { user: "DTAIL-HEALTH", remote: "r", health: true }, deps());
  const m = s.messages();
  assert.ok(m.some((x) => x.includes("health sessions only take the health command")), m.join());
  assert.ok(!m.some((x) => /\|OK\n?$/.test(x)), JSON.stringify(m));
  assert.equal(m.at(-1), ".syn close connection");
});

Deno.test("with escaping, a notice quoting a pattern with € stays one control message", async () => {
  const path = await withFile("x\n");
  const s = memorySession([`grep:escape=ac:plain=true ${path} regex:default (€`], true);
  await handleSession(s.io, { user: "u", remote: "r", health: false }, deps());
  const m = s.messages().slice(1, -1);
  assert.equal(m.length, 1, JSON.stringify(m));
  assert.ok(m[0]!.startsWith("\ufffd\x03"), "marked as control");
  assert.match(m[0]!, /\(€/);
});

Deno.test("a Go client that hangs up while a read runs gets nothing after the close", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/big.log`;
  await Deno.writeTextFile(path, "a line of text\n".repeat(700_000)); // 10 MB
  let closed = false;
  const late: string[] = [];
  const io: SessionIO = {
    input: (async function* () {
      yield encodeFrame(`cat:plain=true ${path} regex:noop `);
      await new Promise((r) => setTimeout(r, 5)); // the client goes away mid-read
    })(),
    write: async (bytes) => {
      if (closed) late.push(dec.decode(bytes));
      await new Promise((r) => setTimeout(r, 0));
    },
    close: () => (closed = true),
  };
  await handleSession(io, { user: "u", remote: "r", health: false }, deps());
  await new Promise((r) => setTimeout(r, 300)); // past the close grace
  assert.deepEqual(late, []);
});

Deno.test("the lines of many followed files that came at once go out in a few channel writes", async () => {
  const dir = await Deno.makeTempDir();
  const files = 100;
  const paths = Array.from(
    { length: files },
    (_, i) => `${dir}/f${String(i).padStart(3, "0")}.log`,
  );
  for (const path of paths) await Deno.writeTextFile(path, "old\n");
  const s = memorySession([`tail:escape=ac:positions=v1 ${dir}/*.log regex:noop `], true);
  s.onAck(() => {});
  const config = defaultConfig(() => undefined);
  const session = handleSession(
    s.io,
    { user: "u", remote: "r", health: false },
    deps({
      config,
      tails: new Semaphore(files),
    }),
  );
  const positions = () => s.messages().filter((m) => m.includes(".syn position ")).length;
  const lines = () => s.messages().filter((m) => m.startsWith("REMOTE|box|100|")).length;
  const until = async (predicate: () => boolean, what: string) => {
    for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(predicate(), `timed out waiting for ${what}`);
  };
  try {
    await until(() => positions() === files, "the start positions");
    const before = s.writes();
    // All in one synchronous step: the followers are woken together.
    for (const path of paths) Deno.writeTextFileSync(path, "new\n", { append: true });
    await until(() => lines() === files && positions() === 2 * files, "a line of each file");
    assert.ok(s.writes() - before <= 5, `${s.writes() - before} writes for ${files} files`);
  } finally {
    s.io.close();
    await session;
    await Deno.remove(dir, { recursive: true });
  }
});

/** The files under `dir` this process holds open. */
function openUnder(dir: string): string[] {
  return [...Deno.readDirSync("/proc/self/fd")].flatMap((e) => {
    try {
      const target = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
      return target.startsWith(`${dir}/`) ? [target] : [];
    } catch {
      return []; // closed meanwhile (the directory's own descriptor)
    }
  });
}

Deno.test("a session that ends while start positions go out closes every file it opened", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (let i = 0; i < 200; i++) await Deno.writeTextFile(`${dir}/${i}.log`, "old\n");
    const gone = new AbortController();
    const io: SessionIO = {
      input: (async function* () {
        yield encodeFrame(`tail:escape=ac:positions=v1 ${dir}/*.log regex:noop `);
        await new Promise((r) => gone.signal.addEventListener("abort", r, { once: true }));
      })(),
      write: (bytes) => {
        // The client goes away as the first start position arrives: the others are being sent.
        if (dec.decode(bytes).includes(".syn position ")) gone.abort();
        return Promise.resolve();
      },
      close: () => gone.abort(),
      closed: gone.signal,
    };
    await handleSession(
      io,
      { user: "u", remote: "r", health: false },
      deps({
        tails: new Semaphore(5), // most files wait for a slot, holding their descriptors
      }),
    );
    for (let i = 0; i < 100 && openUnder(dir).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(openUnder(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a session's cat queue holds MAX_QUEUED_READS commands and takes more as they end", async () => {
  const path = await withFile("one\n");
  const slots = new Semaphore(1);
  const held = (await slots.take())!; // every cat waits for the one slot
  const cats = Array.from({ length: MAX_QUEUED_READS + 40 }, () => `cat: ${path} regex:noop `);
  const s = memorySession([...cats, "bogus"]); // answered only once it was read
  const bogus = () => s.messages().filter((m) => m.includes("unknown user command|bogus")).length;
  const running = handleSession(
    s.io,
    { user: "u", remote: "127.0.0.1:5", health: false },
    deps({ cats: slots }),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(slots.waiting, 1, "one cat waits for its slot, the queue behind it");
  assert.equal(s.messages().filter((m) => m.startsWith("REMOTE")).length, 0);
  assert.equal(bogus(), 0, "the queue is full: the session reads no more commands");
  held.release(); // the first cat runs; the rest one by one as each gives the slot back
  await running;
  const lines = s.messages().filter((m) => m.startsWith("REMOTE"));
  assert.equal(lines.length, MAX_QUEUED_READS + 40, "every command was read and answered");
  assert.equal(bogus(), 1, "read once there was room");
});

Deno.test("a session follows at most MAX_SESSION_TAILS files and refuses more in one notice each", async () => {
  const path = await withFile("one\n");
  const extra = 3;
  const commands = Array.from(
    { length: MAX_SESSION_TAILS + extra },
    () => `tail: ${path} regex:noop `,
  );
  const s = memorySession(commands);
  const running = handleSession(
    s.io,
    { user: "u", remote: "127.0.0.1:5", health: false },
    deps({ tails: new Semaphore(1) }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const refused = s.messages().filter((m) => m.includes("too many files followed"));
  assert.equal(refused.length, extra, refused[0]);
  assert.ok(refused[0]!.includes(`at most ${MAX_SESSION_TAILS}`));
  s.io.close();
  await running;
});
