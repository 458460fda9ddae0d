/** Test helper: a client session wired to a server handler through in-memory pipes (no SSH). */
import { BlockPrinter, MessagePrinter } from "../core/message_printer.ts";
import { decodeFrame, FrameReader } from "../core/protocol/frames.ts";
import type { PayloadRun } from "../core/protocol/messages.ts";
import { BufferedOutput } from "../core/output.ts";
import { type ClientIO, type RemoteJob, runRemoteSession } from "../cli/remote_session.ts";
import { type HandlerDeps, handleSession, type SessionIO } from "../server/session/handler.ts";
import { Semaphore } from "../core/semaphore.ts";
import { testDeps } from "../server/session/_test_deps.ts";

class Pipe {
  readonly #chunks: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  push(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#chunks.push(bytes.slice());
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *read(): AsyncGenerator<Uint8Array> {
    for (;;) {
      while (this.#chunks.length === 0) {
        if (this.#closed) return;
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = null;
      }
      yield this.#chunks.shift()!;
    }
  }
}

export interface LoopbackRun {
  stdout: Uint8Array;
  notices: string[];
  unreadable: number;
  completed: boolean;
  /** What the server advertised. */
  capabilities: string[];
  /** The commands the client sent, decoded. */
  commands: string[];
}

export async function loopback(
  job: RemoteJob,
  options: {
    color?: boolean;
    hostname?: string;
    deps?: Partial<HandlerDeps>;
    /** Use the client's fast paths (payload runs, raw blocks) as dcat does over SSH. */
    fast?: boolean;
    /** The AUTHKEY the client sends first (default "AAAA"); null sends none. */
    authKey?: string | null;
  } = {},
): Promise<LoopbackRun> {
  const toServer = new Pipe();
  const toClient = new Pipe();
  const serverIO: SessionIO = {
    input: toServer.read(),
    write: (b) => Promise.resolve(toClient.push(b)),
    close: () => toClient.close(),
  };
  const commands: string[] = [];
  const frames = new FrameReader(1 << 20);
  const clientIO: ClientIO = {
    input: toClient.read(),
    write: (b) => {
      commands.push(...frames.push(b).map((f) => decodeFrame(f)));
      return Promise.resolve(toServer.push(b));
    },
    close: () => toServer.close(),
  };
  const deps: HandlerDeps = testDeps({
    hostname: options.hostname ?? "integrationtest",
    tails: new Semaphore(50),
    closeAckTimeoutMs: 1000,
    ...options.deps,
  });
  const chunks: Uint8Array[] = [];
  const out = new BufferedOutput((b) => chunks.push(b.slice()));
  const printer = new MessagePrinter(out, { plain: job.plain, color: options.color ?? false });
  const notices: string[] = [];
  const server = handleSession(
    serverIO,
    { user: "tester", remote: "127.0.0.1:1", health: false },
    deps,
  );
  const blocks = new BlockPrinter(out);
  const result = await runRemoteSession(clientIO, job, {
    payload: (m) => printer.payload(m),
    notice: (t) => notices.push(t),
    ...(options.fast
      ? {
        payloadRun: (run: PayloadRun) => printer.payloadRun(run),
        block: (b: Uint8Array) => blocks.piece(b),
      }
      : {}),
  }, { authKey: options.authKey === undefined ? "AAAA" : options.authKey });
  await server;
  out.flush();
  const stdout = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    stdout.set(c, at);
    at += c.length;
  }
  return {
    stdout,
    notices,
    unreadable: result.unreadable,
    completed: result.completed,
    capabilities: result.capabilities,
    commands,
  };
}
