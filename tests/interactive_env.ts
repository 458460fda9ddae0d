/**
 * Interactive runs for tests: a real program started with `--interactive-query` and a real
 * pseudo-terminal (pty.ts) as its `--control-tty`, typed into like a user; and, for the cases no
 * real dserver plays, an in-process SSH server running our session handler with another
 * capability list or with SESSION commands rewritten on their way in (a server that refuses).
 */
import { decodeFrame, encodeFrame, FrameReader } from "../core/protocol/frames.ts";
import { defaultConfig } from "../core/config.ts";
import { Semaphore } from "../core/semaphore.ts";
import { streamInput, streamWrite } from "../core/stream_input.ts";
import { AuthorizedKeys } from "../server/access/authorized_keys.ts";
import { testDeps } from "../server/session/_test_deps.ts";
import { handleSession } from "../server/session/handler.ts";
import { generateEd25519Key } from "../server/ssh/host_key.ts";
import { memoryLog } from "../server/ssh/_test_ssh.ts";
import { startSshServer } from "../server/ssh/ssh_server.ts";
import { spawn } from "./helpers.ts";
import { Pty } from "./pty.ts";
import type { TestClient } from "./ssh_env.ts";

/** A program under test, its control terminal, and what it printed. */
export class Interactive {
  stdout = "";
  stderr = "";
  readonly #reading: Promise<unknown>;

  private constructor(readonly pty: Pty, readonly child: Deno.ChildProcess) {
    const pump = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      const d = new TextDecoder();
      for await (const chunk of stream) this[into] += d.decode(chunk, { stream: true });
    };
    this.#reading = Promise.all([pump(child.stdout, "stdout"), pump(child.stderr, "stderr")]);
  }

  /** Starts `program` with `--interactive-query --control-tty <pty>` before `args`. */
  static start(
    program: string,
    args: string[],
    options: { env?: Record<string, string>; pty?: Pty } = {},
  ): Interactive {
    const pty = options.pty ?? Pty.open();
    const child = spawn(
      program,
      ["--interactive-query", "--control-tty", pty.slavePath, ...args],
      options.env ? { env: options.env } : {},
    );
    return new Interactive(pty, child);
  }

  /** What the terminal shows, without the line editor's redraws. */
  get screen(): string {
    return this.pty.output.replaceAll("\r\x1b[2K", "").replaceAll("\r", "");
  }

  /** Waits for the banner (the control loop is up). */
  async ready(): Promise<void> {
    await this.pty.waitFor("Commands: :reload <flags>, :show, :help, :quit", 0, 20_000);
  }

  /** Types a line and returns the terminal's lines after it once `reply` shows. */
  say(line: string, reply: RegExp | string, timeoutMs = 10_000): Promise<string> {
    return this.type(line + "\r", reply, timeoutMs);
  }

  /** Types `line` every half second until the reply matches `reply` (e.g. servers connected). */
  async until(line: string, reply: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const from = this.pty.output.length;
      this.pty.line(line);
      await new Promise((r) => setTimeout(r, 500));
      const shown = clean(this.pty.output.slice(from));
      if (reply.test(shown)) return shown;
      if (Date.now() > deadline) {
        throw new Error(`the terminal did not show ${reply}; it shows:\n${shown}`);
      }
    }
  }

  /**
   * Types keys and returns what the terminal showed after them (without the line editor's
   * redraws and CRs) once `reply` shows.
   */
  async type(keys: string, reply: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const from = this.pty.output.length;
    this.pty.type(keys);
    const shown = () => clean(this.pty.output.slice(from));
    const end = await waitText(shown, reply, 0, timeoutMs, "the terminal");
    return shown().slice(0, end);
  }

  /** Waits until stdout (from `from` on) matches; returns the index after the match. */
  async waitOut(pattern: RegExp | string, from = 0, timeoutMs = 10_000): Promise<number> {
    return await waitText(() => this.stdout, pattern, from, timeoutMs, "stdout");
  }

  /**
   * Appends `lines(n)` to `path` (n = 1, 2, …) every 300 ms until stdout after `from` matches
   * `seen`: a follow that only just (re)started may still be opening the file.
   */
  async appendUntil(
    path: string,
    lines: (n: number) => string[],
    seen: RegExp,
    from: number,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let n = 1; !seen.test(this.stdout.slice(from)); n++) {
      if (Date.now() > deadline) {
        throw new Error(`stdout did not show ${seen}; it shows:\n${this.stdout.slice(from)}`);
      }
      await Deno.writeTextFile(path, lines(n).map((l) => l + "\n").join(""), { append: true });
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async waitErr(pattern: RegExp | string, from = 0, timeoutMs = 10_000): Promise<number> {
    return await waitText(() => this.stderr, pattern, from, timeoutMs, "stderr");
  }

  /** `:quit`, then the exit status. */
  async quit(): Promise<number> {
    await this.say(":quit", "quitting interactive session");
    return await this.exit();
  }

  /** The exit status (the program must end by itself within the timeout). */
  async exit(timeoutMs = 10_000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.child.status,
      new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (status === null) {
      await this.close();
      throw new Error(`the program did not end; stderr:\n${this.stderr}\nscreen:\n${this.screen}`);
    }
    await this.#reading;
    return status.code;
  }

  /** Ends the program if it still runs, and the terminal. */
  async close(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // ended already
    }
    await this.child.status;
    await this.#reading;
    await this.pty.close();
  }
}

function clean(text: string): string {
  return text.replaceAll("\r\x1b[2K", "").replaceAll("\r", "");
}

async function waitText(
  text: () => string,
  pattern: RegExp | string,
  from: number,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rest = text().slice(from);
    if (typeof pattern === "string") {
      const i = rest.indexOf(pattern);
      if (i >= 0) return from + i + pattern.length;
    } else {
      const m = pattern.exec(rest);
      if (m) return from + m.index + m[0].length;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not show ${pattern}; it shows:\n${rest}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SessionServerOptions {
  /** What it advertises (default: all of ours); null for nothing. */
  capabilities?: readonly string[] | null;
  /** Rewrites each command the client sends (null drops it). */
  rewrite?: (command: string) => string | null;
}

/**
 * Our session handler behind an SSH server in this process, for the test client's key as user
 * dtail-alice; it reads files as the test runs (no permission rules).
 */
export async function sessionServer(
  client: TestClient,
  options: SessionServerOptions = {},
): Promise<{ address: string; port: number; close(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-session-srv-" });
  await Deno.mkdir(`${dir}/cache`);
  await Deno.copyFile(
    `${client.home}/.ssh/id_ed25519.pub`,
    `${dir}/cache/dtail-alice.authorized_keys`,
  );
  const config = defaultConfig(() => undefined);
  const rewrite = options.rewrite ?? ((c: string) => c);
  const server = await startSshServer({
    bindAddress: "127.0.0.1",
    port: 0,
    hostKey: generateEd25519Key().private,
    maxConnections: 10,
    authorizedKeys: new AuthorizedKeys({
      cacheDir: "cache",
      cwd: dir,
      homeOf: () => Promise.resolve(null),
    }),
    log: memoryLog().log,
    onShell: async (session) => {
      const channel = session.channel;
      await handleSession(
        {
          input: rewritten(streamInput(channel), rewrite),
          write: (bytes) => streamWrite(channel, bytes),
          closed: session.closed,
          close: () => {
            channel.end();
            setTimeout(() => session.end(), 100);
          },
        },
        { user: session.user, remote: "127.0.0.1:1", health: session.isHealth },
        testDeps({
          config,
          hostname: "sessiontest",
          cats: new Semaphore(10),
          tails: new Semaphore(50),
          closeAckTimeoutMs: 5000, // the handler's default
          ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
        }),
      );
    },
  });
  return {
    address: `127.0.0.1:${server.port}`,
    port: server.port,
    async close() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function* rewritten(
  input: AsyncIterable<Uint8Array>,
  rewrite: (command: string) => string | null,
): AsyncGenerator<Uint8Array> {
  const frames = new FrameReader(1 << 20);
  for await (const chunk of input) {
    const out: Uint8Array[] = [];
    for (const frame of frames.push(chunk)) {
      const command = rewrite(decodeFrame(frame));
      if (command !== null) out.push(encodeFrame(command));
    }
    if (out.length > 0) yield new Uint8Array(out.flatMap((f) => [...f]));
  }
}

/** A SESSION UPDATE's payload made unreadable: the server answers `session err`. */
export function spoilUpdates(command: string): string {
  return command.startsWith("SESSION UPDATE ") ? command.replace(/ \S+$/, " !!!") : command;
}
