/**
 * The live part of the fuzzer: a real dserver (tests/ssh_env.ts) and several raw SSH sessions
 * sending valid frames of random commands, damaged frames, garbage, partial and oversize frames,
 * and hanging up at random points. Every few seconds the server must answer (tests/liveness.ts);
 * at the end it must still run and its log must hold no stack trace and no "command failed".
 */
import type { Client, ClientChannel } from "ssh2";
import { openShell } from "../../cli/ssh/connect.ts";
import { encodeFrame } from "../../core/protocol/frames.ts";
import { MessageReader } from "../../core/protocol/messages.ts";
import { assertServerAnswers, probeFile } from "../liveness.ts";
import { TestClient, TestServer } from "../ssh_env.ts";
import { rawClient } from "../ssh_raw.ts";
import {
  caseSeed,
  commandText,
  frameBytes,
  randomBytes,
  Rng,
  SERVER_PATHS,
  show,
} from "./mutate.ts";
import { knownIssue } from "./known.ts";

const SESSIONS = 4;
const PROBE_EVERY_MS = 3000;
/** The server's MaxCommandFrameSize: small, so oversize frames are cheap to send. */
const MAX_FRAME = 65536;
/** A session is cut off after this long, whatever it waits for. */
const SESSION_MS = 4000;

/** What one session sends, and how it ends; all from its seed. */
export interface Plan {
  readonly seed: number;
  readonly items: { readonly what: string; readonly bytes: Uint8Array }[];
  /** Write sizes are drawn from this stream. */
  readonly rng: Rng;
  /** Hang up after this many bytes (mid-frame, say), or -1 to send everything. */
  readonly cutAt: number;
  /** How the session ends after sending: wait for the server, close the channel, or hang up. */
  readonly end: "wait" | "close" | "hangup";
  readonly ackClose: boolean;
}

export function plan(seed: number, paths: readonly string[]): Plan {
  const rng = new Rng(seed);
  const items: Plan["items"][number][] = [];
  for (let n = 1 + rng.int(6); n > 0; n--) {
    const r = rng.int(100);
    if (r < 80) {
      const command = commandText(rng, paths);
      items.push({ what: command, bytes: frameBytes(rng, command) });
    } else if (r < 88) {
      items.push({ what: "garbage", bytes: randomBytes(rng, rng.size(4096)) });
    } else if (r < 94) {
      items.push({ what: "many frames", bytes: manyFrames(rng, paths) });
    } else {
      const size = rng.pick([MAX_FRAME - 20, MAX_FRAME + 1, 3 * MAX_FRAME]);
      items.push({ what: `an unterminated ${size}-byte frame`, bytes: unterminated(size) });
    }
  }
  const total = items.reduce((n, i) => n + i.bytes.length, 0);
  return {
    seed,
    items,
    rng,
    cutAt: rng.chance(0.15) ? rng.int(total + 1) : -1,
    end: rng.pick(["wait", "wait", "close", "hangup"] as const),
    ackClose: rng.chance(0.8),
  };
}

function manyFrames(rng: Rng, paths: readonly string[]): Uint8Array {
  // Sometimes past a session's bounds: 64 queued cat/grep commands, 2,000 tails.
  const frames = Array.from(
    { length: 2 + (rng.chance(0.25) ? rng.int(3000) : rng.int(50)) },
    () => encodeFrame(commandText(rng, paths)),
  );
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (out.set(f, at), at + f.length), 0);
  return out;
}

function unterminated(size: number): Uint8Array {
  const out = new TextEncoder().encode("protocol 4.1 base64 ");
  const bytes = new Uint8Array(size).fill(0x41);
  bytes.set(out);
  return bytes;
}

/** One line per item: what a reproducer needs. */
export function describe(p: Plan, port: number | null): string {
  const items = p.items.map((i) => `    ${show(i.what, 300)}\n      bytes ${show(i.bytes, 300)}`);
  return `  session seed ${p.seed} (client port ${port ?? "?"}), cut at ${p.cutAt}, ` +
    `then ${p.end}:\n${items.join("\n")}`;
}

async function runSession(
  p: Plan,
  client: TestClient,
  server: TestServer,
  started: (port: number | null) => void,
): Promise<void> {
  let c: Client;
  try {
    c = await rawClient(client, server);
  } catch {
    started(null);
    await sleep(100);
    return; // a refused connection is the server's right; the probes judge liveness
  }
  // deno-lint-ignore no-explicit-any
  started((c as any)._sock?.localPort ?? null);
  const timer = setTimeout(() => c.destroy(), SESSION_MS);
  try {
    const channel = await openShell(c, "test");
    channel.on("error", () => {});
    let open = true;
    const closed = drain(channel, p.ackClose).finally(() => open = false);
    let sent = 0;
    for (const item of p.items) {
      for (let at = 0; open && at < item.bytes.length;) {
        const size = 1 + p.rng.size(p.rng.pick([16, 512, 65536]));
        let piece = item.bytes.subarray(at, at + size);
        if (p.cutAt >= 0 && sent + piece.length >= p.cutAt) {
          piece = piece.subarray(0, p.cutAt - sent);
          channel.write(piece);
          c.destroy();
          return;
        }
        sent += piece.length;
        at += piece.length;
        if (!channel.write(piece)) await Promise.race([once(channel, "drain"), closed]);
        if (p.rng.chance(0.05)) await sleep(p.rng.int(50));
      }
    }
    if (p.end === "hangup") c.destroy();
    else {
      if (p.end === "close") channel.close();
      await Promise.race([closed, sleep(p.rng.int(SESSION_MS))]);
    }
  } catch {
    // The server may close first; that is fine.
  } finally {
    clearTimeout(timer);
    c.end();
  }
}

/** Messages received, by their first 6 characters ("REMOTE", "SERVER", ".syn c", "binary"). */
const received: Record<string, number> = {};

/** Reads the session's messages until it closes, acknowledging the server's close request. */
async function drain(channel: ClientChannel, ack: boolean): Promise<void> {
  const reader = new MessageReader();
  try {
    for await (const chunk of channel as AsyncIterable<Uint8Array>) {
      for (const m of reader.push(chunk)) {
        const text = new TextDecoder().decode(m);
        const kind = /^[ -~]{6}/.test(text) ? text.slice(0, 6) : "binary";
        received[kind] = (received[kind] ?? 0) + 1;
        if (ack && text === ".syn close connection") {
          channel.write(encodeFrame(".ack close connection"));
        }
      }
    }
  } catch {
    // reset
  }
}

function once(channel: ClientChannel, event: string): Promise<void> {
  return new Promise((resolve) => channel.once(event, () => resolve()));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ServerReport {
  readonly sessions: number;
  readonly probes: number;
  /** Messages received by kind (their first 6 characters). */
  readonly received: Record<string, number>;
  /** Each a self-contained report: the problem, then the sessions that may have caused it. */
  readonly findings: string[];
}

/** Fuzzes a live dserver for `ms`. A server killed by a known problem is started again. */
export async function fuzzServer(seed: number, ms: number): Promise<ServerReport> {
  const client = await TestClient.create();
  const server = await TestServer.start(client, { server: { MaxCommandFrameSize: MAX_FRAME } });
  const probe = await probeFile();
  const paths = [...SERVER_PATHS, probe.path, probe.path.replace(/[^/]*$/, "*")];
  const deadline = Date.now() + ms;
  const findings: string[] = [];
  /** The logs of the server's earlier lives. */
  const earlier: string[] = [];
  /** Sessions by start time, to name the suspects of a failed probe. */
  const log: { at: number; plan: Plan; port: number | null }[] = [];
  let next = 0;
  let stop = false;
  const sessionLoop = async () => {
    while (!stop && Date.now() < deadline) {
      const p = plan(caseSeed(seed, next++), paths);
      await runSession(p, client, server, (port) => log.push({ at: Date.now(), plan: p, port }));
    }
  };
  const suspects = (since: number) =>
    log.filter((s) => s.at >= since && s.port !== null).map((s) => describe(s.plan, s.port))
      .join("\n");
  let probes = 0;
  const probeLoop = async () => {
    while (!stop && Date.now() < deadline) {
      await sleep(PROBE_EVERY_MS);
      const since = Date.now() - 2 * PROBE_EVERY_MS;
      try {
        await assertServerAnswers(server, client, probe);
        probes++;
      } catch (err) {
        const died = /^dtail: internal error: .*$/m.exec(server.log());
        const report = `the server did not answer: ${(err as Error).message}` +
          (died ? `\nit died: ${died[0]}` : "") +
          `\nsessions started in the ${2 * PROBE_EVERY_MS} ms before:\n${suspects(since)}`;
        findings.push(report);
        if (died === null || knownIssue(report) === null) stop = true;
        else {
          await server.stop();
          earlier.push(server.log());
          await server.restart();
        }
      }
    }
  };
  try {
    await Promise.all([probeLoop(), ...Array.from({ length: SESSIONS }, sessionLoop)]);
    if (!stop) {
      await assertServerAnswers(server, client, probe).catch((err) => {
        findings.push(`the server did not answer at the end: ${(err as Error).message}`);
      });
    }
  } finally {
    const code = await server.stop();
    const tail = server.log().split("\n").slice(-30).join("\n");
    if (code !== 0) {
      findings.push(`the server exited with ${code} on SIGTERM; its log ends:\n${tail}`);
    }
    await Deno.remove(probe.path.replace(/\/[^/]*$/, ""), { recursive: true });
  }
  const text = [...earlier, server.log()].join("\n");
  // The log is kept for a look after the run; the server's directory and the client's key are not.
  const logFile = await Deno.makeTempFile({ prefix: "dtail-fuzz-server-", suffix: ".log" });
  await Deno.writeTextFile(logFile, text);
  await Deno.remove(server.dir, { recursive: true });
  await Deno.remove(client.home, { recursive: true });
  console.log(`fuzz: the server's log: ${logFile} (${earlier.length} restarts)`);
  findings.push(...logFindings(text, log));
  const sessions = log.filter((s) => s.port !== null).length;
  return { sessions, probes, received, findings };
}

/** Stack traces and internal errors in the server's log, each with its session's inputs. */
function logFindings(text: string, log: { plan: Plan; port: number | null }[]): string[] {
  const findings: string[] = [];
  const lines = text.split("\n");
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (
      !/Uncaught|panicked|internal error|^\s+at /.test(line) || /^\s+at /.test(lines[i - 1] ?? "")
    ) {
      return;
    }
    const context = lines.slice(Math.max(0, i - 5), i + 15).join("\n");
    if (!seen.has(line)) {
      findings.push(`a stack trace or internal error in the server log:\n${context}`);
    }
    seen.add(line);
  });
  for (const line of lines) {
    const m = /\|dtail-alice@[\d.]+:(\d+)\|command failed: (\S+ \S+ \S+|.*)/.exec(line);
    if (m === null || seen.has(m[2]!)) continue; // one report per kind ("bad glob pattern")
    seen.add(m[2]!);
    const session = log.find((s) => s.port === Number(m[1]));
    findings.push(
      `internal error in the server log: ${line}\n` +
        (session ? describe(session.plan, session.port) : "  (session unknown)"),
    );
  }
  return findings;
}
