import assert from "node:assert/strict";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { MessageReader } from "../../core/protocol/messages.ts";
import { buildSessionCommand, type SessionSpec } from "../../core/protocol/session_spec.ts";
import { openRegular } from "../../core/open_file.ts";
import { testDeps } from "./_test_deps.ts";
import { type HandlerDeps, handleSession, type SessionIO } from "./handler.ts";

const dec = new TextDecoder();
const INFO = { user: "u", remote: "127.0.0.1:5", health: false };

const deps = testDeps;

/**
 * An in-memory client: `send` writes frames, `messages` are what the channel took so far, split at
 * 0xAC; `gate` holds every write until `open` (a client that does not read). The session ends when
 * `hangUp` ends the input.
 */
function client(options: { escaped?: boolean; deps?: Partial<HandlerDeps> } = {}) {
  const written: Uint8Array[] = [];
  const inbox: Uint8Array[] = [];
  let wake = () => {};
  let ended = false;
  let gated = false;
  let heldAt = -1;
  let attempts = 0;
  let opened: () => void = () => {};
  let gate = Promise.resolve();
  const io: SessionIO = {
    input: (async function* () {
      while (true) {
        while (inbox.length > 0) yield inbox.shift()!;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
      }
    })(),
    write: async (bytes) => {
      if (gated) {
        attempts++;
        await gate;
      }
      written.push(bytes.slice());
    },
    close: () => {},
  };
  const done = handleSession(io, INFO, deps(options.deps));
  return {
    done,
    send(...commands: string[]) {
      inbox.push(...commands.map((c) => encodeFrame(c)));
      wake();
    },
    hangUp() {
      ended = true;
      wake();
      return done;
    },
    /** Writes the channel was given since `hold`. */
    attempts: () => attempts,
    hold() {
      gated = true;
      attempts = 0;
      heldAt = written.length;
      gate = new Promise<void>((r) => (opened = r));
    },
    open() {
      gated = false;
      opened();
    },
    /**
     * What was written after the write the channel had taken when `hold` began (that one was on
     * its way to the client already).
     */
    writtenAfterHold(): string {
      return written.slice(heldAt + 1).map((w) => dec.decode(w)).join("");
    },
    messages(): string[] {
      const reader = new MessageReader(() => options.escaped ?? false);
      return written.flatMap((w) => reader.push(w)).map((m) => dec.decode(m));
    },
  };
}

const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, holds: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(10);
  }
}

async function logFile(lines: string[], name = "app.log"): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/${name}`, lines.join("\n") + "\n");
  return `${dir}/${name}`;
}

function spec(overrides: Partial<SessionSpec>): SessionSpec {
  return {
    mode: "grep",
    files: [],
    options: {},
    query: "",
    regex: "",
    invert: false,
    timeout: 0,
    ...overrides,
  };
}

const acks = (messages: string[]) => messages.filter((m) => m.startsWith(".syn session"));

Deno.test("SESSION START runs the spec as generation 1 and UPDATE replaces it", async () => {
  const path = await logFile(["1 ERROR", "2 WARN", "3 ERROR", "4 WARN"]);
  const c = client();
  c.send(buildSessionCommand("start", spec({ files: [path], regex: "ERROR" })));
  await until("the ERROR lines", () => c.messages().length >= 4);
  c.send(buildSessionCommand("update", spec({ files: [path], regex: "WARN" })));
  await until("the WARN lines", () => c.messages().length >= 7);
  c.send(buildSessionCommand("update", spec({ files: [path], regex: "1 " }), 7));
  await until("the last line", () => c.messages().length >= 9);
  await c.hangUp();
  assert.deepEqual(c.messages(), [
    ".syn capabilities escape-ac-v1 plain-blocks-v1 query-update-v1 tail-resume-v1 " +
    "mapr-sketch-v1 mapr-formats-v1 mapr-bucket-v1 time-range-v1 progress-v1",
    ".syn session start ok 1",
    "REMOTE|box|100|1|app.log|1 ERROR\n",
    "REMOTE|box|100|3|app.log|3 ERROR\n",
    ".syn session update ok 2",
    "REMOTE|box|100|2|app.log|2 WARN\n",
    "REMOTE|box|100|4|app.log|4 WARN\n",
    ".syn session update ok 7",
    "REMOTE|box|100|1|app.log|1 ERROR\n",
  ]);
});

Deno.test("an active session keeps the connection open after its reads end", async () => {
  const path = await logFile(["x"]);
  const c = client();
  c.send("AUTHKEY AAAA", buildSessionCommand("start", spec({ mode: "cat", files: [path] })));
  await settle(400); // past the 100 ms close grace of a Go client's session
  assert.deepEqual(c.messages().slice(1), [
    "SERVER|box|AUTHKEY OK\n",
    ".syn session start ok 1",
    "REMOTE|box|100|1|app.log|x\n",
  ]);
  await c.hangUp();
  assert.ok(!c.messages().includes(".syn close connection"));
});

interface GoAnswers {
  cases: { name: string; frames: string[]; answers: string[] }[];
}
const goAnswers: GoAnswers = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../tests/testdata/session/go_server_answers.json", import.meta.url),
  ),
);

Deno.test("SESSION frames are answered as the Go dserver answers them", async () => {
  const dir = await Deno.makeTempDir();
  const lines = [1, 2, 3, 4, 5].flatMap((
    n,
  ) => [`line ${n} ERROR`, `line ${n} WARN`, `line ${n} INFO`]);
  await Deno.writeTextFile(`${dir}/a.log`, lines.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/s.log`, "");
  for (const { name, frames, answers } of goAnswers.cases) {
    const c = client();
    for (const frame of frames) {
      const [head, rest] = [frame.split(" ").slice(0, -1), frame.split(" ").at(-1)!];
      let payload = rest;
      try {
        if (atob(rest).includes("{dir}")) payload = btoa(atob(rest).replaceAll("{dir}", dir));
      } catch {
        // not base64: sent as it is
      }
      c.send(frame.includes(" ") ? [...head, payload].join(" ") : frame);
      await settle(30);
    }
    await settle(100);
    await c.hangUp();
    const ours = acks(c.messages());
    if (name === "space_file") {
      // Ours refuses what no command can carry; the Go dserver acks and then fails the read.
      assert.deepEqual(ours, [".syn session err invalid session spec"], name);
      continue;
    }
    assert.deepEqual(ours, acks(answers), name);
    if (name === "health") {
      const notice = c.messages().find((m) => m.includes("Received unknown user command"));
      assert.match(notice!, /\|Received unknown user command\|health\|1\|\[health\]\n$/);
    }
  }
});

Deno.test("a malformed SESSION payload is refused and the running generation goes on", async () => {
  const path = await logFile(["0 ERROR"]);
  const c = client();
  c.send(buildSessionCommand("start", spec({ mode: "tail", files: [path], regex: "ERROR" })));
  await until("the ack", () => c.messages().length >= 2);
  await settle(); // a follow starts at the end of the file
  await Deno.writeTextFile(path, "1 ERROR\n", { append: true });
  await until("the first line", () => c.messages().length >= 3);
  c.send("SESSION UPDATE 2 bm90IGpzb24=");
  await until("the refusal", () => acks(c.messages()).length >= 2);
  await Deno.writeTextFile(path, "2 ERROR\n", { append: true });
  await until("the followed line", () => c.messages().some((m) => m.includes("2 ERROR")));
  await c.hangUp();
  assert.deepEqual(acks(c.messages()), [
    ".syn session start ok 1",
    ".syn session err invalid session spec",
  ]);
});

Deno.test("after an UPDATE's ack no line of the older generation reaches the wire", async () => {
  const dir = await Deno.makeTempDir();
  const big = `${dir}/big.log`;
  await Deno.writeTextFile(big, "old generation line\n".repeat(500_000)); // 10 MB
  const small = await logFile(["new generation line"]);
  let read = 0;
  const c = client({
    deps: {
      open: (_user, p) => {
        const opened = openRegular(p);
        const readSync = opened.file.readSync.bind(opened.file);
        opened.file.readSync = (buf) => {
          const n = readSync(buf);
          read += n ?? 0;
          return n;
        };
        return opened;
      },
    },
  });
  c.send(buildSessionCommand("start", spec({ mode: "cat", files: [big] })));
  await until("some old lines", () => c.messages().length > 1000);
  c.hold(); // the client stops reading: old output piles up in the outbox
  await settle(50);
  c.send(buildSessionCommand("update", spec({ mode: "cat", files: [small] })));
  await settle(50);
  c.open();
  await until("the new line", () => c.messages().some((m) => m.includes("new generation")));
  await settle(100);
  await c.hangUp();
  const m = c.messages();
  const ack = m.indexOf(".syn session update ok 2");
  assert.ok(ack > 0, "acked");
  assert.deepEqual(m.slice(ack), [
    ".syn session update ok 2",
    "REMOTE|box|100|1|app.log|new generation line\n",
  ]);
  // What the old read had queued when the update came was dropped, not sent before the ack: at
  // most the end of the one message whose start the channel had taken (never a torn message).
  const after = c.writtenAfterHold();
  const ackAt = after.indexOf(".syn session update ok 2");
  assert.ok(ackAt >= 0, "the ack was written after the hold");
  assert.ok(!after.slice(0, ackAt).includes("REMOTE|"), "no queued old message was sent");
  assert.ok(!after.slice(ackAt).includes("old generation"), "nothing old after the ack");
  assert.ok(read < 10_000_000, `the old read stopped (read ${read} bytes)`);
});

Deno.test("an UPDATE drops the older generation's queued AGGREGATE messages", async () => {
  const stats = (n: number) =>
    `INFO|1124-101010|1|s.go:1|8|${n}|7|0.5|1s|MAPREDUCE:STATS|host=web01`;
  const path = await logFile([]);
  const idle = await logFile([], "idle.log");
  const query = "from STATS select max($goroutines) group by host interval 1";
  const c = client();
  c.send(buildSessionCommand("start", spec({ mode: "tail", files: [path], query })));
  await until("the start ack", () => acks(c.messages()).length === 1);
  await settle(); // a follow starts at the end of the file
  await Deno.writeTextFile(path, stats(4) + "\n", { append: true });
  c.hold(); // the client stops reading
  await until("the first interval's groups", () => c.attempts() > 0); // taken by the channel
  await Deno.writeTextFile(path, stats(6) + "\n", { append: true });
  await settle(1300); // the next interval's groups wait behind them in the outbox
  c.send(buildSessionCommand("update", spec({ mode: "tail", files: [idle], query })));
  await settle(50);
  c.open();
  await until("the update ack", () => acks(c.messages()).length === 2);
  await settle(1200); // generation 2 has nothing to send
  await c.hangUp();
  assert.deepEqual(c.messages().slice(1), [
    ".syn session start ok 1",
    "AGGREGATE|box|web01∥1∥max($goroutines)≔4∥",
    ".syn session update ok 2",
  ]);
});

Deno.test("an UPDATE stops the older generation's map stage without a last send", async () => {
  const stats = (n: number) =>
    `INFO|1124-101010|1|s.go:1|8|${n}|7|0.5|1s|MAPREDUCE:STATS|host=web01`;
  const path = await logFile([stats(4)]);
  const query = "from STATS select count($line) group by host interval 1";
  const c = client();
  c.send(buildSessionCommand("start", spec({ mode: "tail", files: [path], query })));
  await settle(200); // the follow has read the line; its group waits for the interval
  c.send(buildSessionCommand("update", spec({ mode: "tail", files: [], query })));
  await settle(1500);
  await c.hangUp();
  assert.deepEqual(c.messages().slice(1), [
    ".syn session start ok 1",
    ".syn session update ok 2",
  ]);
});

Deno.test("with escaping latched by the spec the acks are control messages", async () => {
  const path = await logFile(["price 5 €"]);
  const c = client({ escaped: true });
  c.send(buildSessionCommand("start", spec({ files: [path], options: { escape: "ac" } })));
  await until("the line", () => c.messages().length >= 3);
  await c.hangUp();
  const [, ack, line] = c.messages();
  assert.equal(ack, "\ufffd\x03.syn session start ok 1");
  assert.equal(line, "REMOTE|box|100|1|app.log|price 5 €\n");
});

Deno.test("a server that does not advertise query-update-v1 refuses SESSION as before", async () => {
  const c = client({ deps: { capabilities: ["escape-ac-v1"] } });
  c.send(buildSessionCommand("start", spec({ files: ["/x"] })));
  await settle();
  await c.hangUp();
  assert.equal(acks(c.messages()).length, 0);
  assert.match(c.messages()[1]!, /session commands are not supported by this server yet/);
});

Deno.test("legacy reads before a session are not cancelled by its updates", async () => {
  const path = await logFile(["legacy 0"]);
  const c = client();
  c.send(`tail: ${path} regex:noop `);
  await settle(); // a follow starts at the end of the file
  await Deno.writeTextFile(path, "legacy 1\n", { append: true });
  await until("the legacy line", () => c.messages().length >= 2);
  c.send(buildSessionCommand("start", spec({ mode: "cat", files: [] })));
  c.send(buildSessionCommand("update", spec({ mode: "cat", files: [] })));
  await until("the acks", () => acks(c.messages()).length >= 2);
  await Deno.writeTextFile(path, "legacy 2\n", { append: true });
  await until("the followed line", () => c.messages().some((m) => m.includes("legacy 2")));
  await c.hangUp();
});
