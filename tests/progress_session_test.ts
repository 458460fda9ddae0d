/**
 * dmap's progress messages (docs/protocol.md#progress) between our client session
 * (cli/remote_session.ts) and our server session (server/session/handler.ts), joined in memory;
 * and the sessions that must never get them: a Go client's (no option, no escaping) and a client
 * of a server that does not advertise `progress-v1`.
 */
import assert from "node:assert/strict";
import { decodeFrame, encodeFrame } from "../core/protocol/frames.ts";
import { ACK_CLOSE } from "../core/protocol/commands.ts";
import { isControl, MessageReader } from "../core/protocol/messages.ts";
import { wireRegexOf } from "../core/protocol/regex_wire.ts";
import { type HandlerDeps, handleSession } from "../server/session/handler.ts";
import { testDeps } from "../server/session/_test_deps.ts";
import { CAPABILITIES } from "../server/session/session_output.ts";
import { type RemoteJob, runRemoteSession } from "../cli/remote_session.ts";
import { commandFrames } from "../cli/session/command_frames.ts";
import { PROGRESS_CAPABILITY } from "../core/protocol/progress.ts";

const dec = new TextDecoder();
const QUERY = "from STATS select count($line) group by $hostname";

/** The commands inside frames. */
function commands(frames: Uint8Array[]): string[] {
  return frames.map((frame) => decodeFrame(dec.decode(frame).replace(/;$/, "")));
}

/** One direction of an in-memory connection. */
class Pipe implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | null = null;

  push(bytes: Uint8Array): void {
    this.#chunks.push(bytes.slice());
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = this.#chunks.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }
}

function deps(capabilities?: readonly string[]): HandlerDeps {
  return testDeps({
    closeAckTimeoutMs: 200,
    ...(capabilities === undefined ? {} : { capabilities }),
  });
}

async function statsLog(lines: number): Promise<{ path: string; size: number }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-progress-" });
  const line = "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|" +
    "currentConnections=0|lifetimeConnections=1\n";
  const path = `${dir}/stats.log`;
  await Deno.writeTextFile(path, line.repeat(lines));
  return { path, size: (await Deno.stat(path)).size };
}

function dmapJob(targets: string[], progress: boolean): RemoteJob {
  return {
    verb: "cat",
    targets,
    regex: wireRegexOf("", false),
    before: 0,
    after: 0,
    max: 0,
    plain: false,
    quiet: true,
    query: QUERY,
    timeout: 0,
    ...(progress ? { progress: true } : {}),
  };
}

/** Our client's session against our server's, in memory: the progress it was given. */
async function clientAgainstServer(job: RemoteJob, capabilities?: readonly string[]) {
  const toServer = new Pipe();
  const toClient = new Pipe();
  const server = handleSession(
    {
      input: toServer,
      write: (bytes) => (toClient.push(bytes), Promise.resolve()),
      close: () => toClient.end(),
    },
    { user: "u", remote: "127.0.0.1:5", health: false },
    deps(capabilities),
  );
  const progress: [number, number][] = [];
  let aggregates = 0;
  const result = await runRemoteSession(
    {
      input: toClient,
      write: (bytes) => (toServer.push(bytes), Promise.resolve()),
      close: () => toServer.end(),
    },
    job,
    {
      payload: (m) => {
        if (dec.decode(m).startsWith("AGGREGATE|")) aggregates++;
      },
      notice: () => {},
      progress: (read, total) => progress.push([read, total]),
    },
  );
  await server;
  return { result, progress, aggregates };
}

Deno.test("a dmap session that asks for progress gets the bytes of its files, all read at the end", async () => {
  const a = await statsLog(2000);
  const b = await statsLog(500);
  const { result, progress, aggregates } = await clientAgainstServer(
    dmapJob([a.path, b.path], true),
  );
  assert.ok(result.completed);
  assert.ok(aggregates > 0);
  assert.ok(progress.length >= 1);
  const total = a.size + b.size;
  for (const [read, t] of progress) {
    assert.equal(t, total);
    assert.ok(read <= total);
  }
  assert.deepEqual(progress.at(-1), [total, total]);
});

Deno.test("files the server cannot open add nothing to the total", async () => {
  const a = await statsLog(100);
  const { progress } = await clientAgainstServer(dmapJob([a.path, "/nonexistent/x.log"], true));
  assert.deepEqual(progress.at(-1), [a.size, a.size]);
});

Deno.test("a dmap session that does not ask for progress gets none", async () => {
  const a = await statsLog(100);
  const { result, progress } = await clientAgainstServer(dmapJob([a.path], false));
  assert.ok(result.completed);
  assert.deepEqual(progress, []);
});

Deno.test("a server that does not advertise progress-v1 is not asked and sends none", async () => {
  const a = await statsLog(100);
  const without = CAPABILITIES.filter((c) => c !== PROGRESS_CAPABILITY);
  const frames = commands(commandFrames(dmapJob([a.path], true), without));
  assert.ok(frames.every((f) => !f.includes("progress=")), frames.join("\n"));
  const { result, progress } = await clientAgainstServer(dmapJob([a.path], true), without);
  assert.ok(result.completed);
  assert.deepEqual(progress, []);
});

Deno.test("our client asks a server that advertises progress-v1 on the map command only", () => {
  const frames = commands(commandFrames(dmapJob(["/a.log", "/b.log"], true), CAPABILITIES));
  const asking = frames.filter((f) => f.includes("progress="));
  assert.deepEqual(asking, [`map:escape=ac:progress=v1:quiet=true ${QUERY}`]);
  // A Go dserver (no escaping, no progress-v1) gets the commands a Go client sends.
  const go = commands(commandFrames(dmapJob(["/a.log"], true), ["query-update-v1"]));
  assert.ok(go.every((f) => !f.includes("progress=")), go.join("\n"));
});

/** What a raw client (a Go client's commands) gets from our server. */
async function rawSession(commands: string[]): Promise<string[]> {
  const toServer = new Pipe();
  const written: Uint8Array[] = [];
  for (const c of commands) toServer.push(encodeFrame(c));
  const session = handleSession(
    {
      input: toServer,
      write: (bytes) => {
        written.push(bytes.slice());
        // The client acknowledges the close request.
        if (dec.decode(bytes).includes(".syn close connection")) {
          toServer.push(
            encodeFrame(ACK_CLOSE),
          );
        }
        return Promise.resolve();
      },
      close: () => toServer.end(),
    },
    { user: "u", remote: "127.0.0.1:5", health: false },
    deps(),
  );
  await session;
  const escaped = commands.some((c) => c.includes("escape=ac"));
  const reader = new MessageReader(() => escaped);
  return written.flatMap((w) => reader.push(w)).map((m) =>
    dec.decode(isControl(m) ? m.subarray(2) : m)
  );
}

Deno.test("a Go client's dmap session never gets a progress message", async () => {
  const a = await statsLog(3000);
  const messages = await rawSession([`map: ${QUERY}`, `cat: ${a.path} regex:noop `]);
  assert.ok(messages.some((m) => m.startsWith("AGGREGATE|")), messages.join("\n"));
  assert.ok(messages.every((m) => !m.startsWith(".progress")), messages.join("\n"));
});

Deno.test("the progress option without escaping (the Go wire) gets no progress message", async () => {
  const a = await statsLog(3000);
  const messages = await rawSession([
    `map:progress=v1 ${QUERY}`,
    `cat: ${a.path} regex:noop `,
  ]);
  assert.ok(messages.some((m) => m.startsWith("AGGREGATE|")), messages.join("\n"));
  assert.ok(messages.every((m) => !m.startsWith(".progress")), messages.join("\n"));
});

Deno.test("with escaping and the option, the raw session shows the message's wire form", async () => {
  const a = await statsLog(10);
  const messages = await rawSession([
    `map:escape=ac:progress=v1 ${QUERY}`,
    `cat: ${a.path} regex:noop `,
  ]);
  const progress = messages.filter((m) => m.startsWith(".progress"));
  assert.deepEqual(progress.at(-1), `.progress ${a.size} ${a.size}`);
  // Before the close request.
  assert.ok(messages.lastIndexOf(progress.at(-1)!) < messages.indexOf(".syn close connection"));
});
