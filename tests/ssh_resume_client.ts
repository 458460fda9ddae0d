/**
 * A raw client of the resume protocol (docs/protocol.md#resume) for the SSH resume tests: it
 * follows targets with `positions=v1`, counts a file's lines once the position after them arrived
 * (lines without one are dropped when the connection breaks, and come again on resume), and
 * reconnects with `resume=` carrying the last position of every file.
 */
import type { Client } from "ssh2";
import { openShell } from "../cli/ssh/connect.ts";
import { BlockPiece, BlockStreamReader } from "../core/protocol/blocks.ts";
import { buildReadCommand } from "../core/protocol/commands.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { isControl } from "../core/protocol/messages.ts";
import {
  encodeResumeRequest,
  type FilePosition,
  parsePositionMessage,
} from "../core/protocol/resume.ts";
import { rawClient } from "./ssh_raw.ts";
import type { TestClient, TestServer } from "./ssh_env.ts";

const decoder = new TextDecoder();

export interface FollowOptions {
  /** `--plain` (raw blocks between peers of ours). */
  readonly plain?: boolean;
  /** Replaces the `resume` option of every command (bad input tests). */
  readonly resumeOption?: (target: string) => string | undefined;
}

export class ResumeClient {
  /** The lines of each followed path, counted once their position came. */
  readonly lines = new Map<string, string[]>();
  /** The last position of each path, per target. */
  readonly positions = new Map<string, Map<string, FilePosition>>();
  readonly notices: string[] = [];
  /** Every message, as text (control messages without their marker). */
  readonly messages: string[] = [];
  #pending: string[] = [];
  #blockText = "";
  #connection: Client | null = null;
  #ended: Promise<void> = Promise.resolve();
  connected = false;
  /** Lines that came without their position before a connection broke. */
  dropped = 0;

  constructor(
    private readonly client: TestClient,
    private readonly targets: string[],
    private readonly options: FollowOptions = {},
  ) {}

  /**
   * Connects and follows the targets, resuming from the positions known (if any); `ready` is
   * called once the channel is open, before the commands go out.
   */
  async connect(server: TestServer, ready?: () => void): Promise<void> {
    const c = await rawClient(this.client, server);
    this.#connection = c;
    const channel = await openShell(c, "test");
    ready?.();
    this.connected = true;
    const reader = new BlockStreamReader();
    this.#ended = (async () => {
      try {
        for await (const chunk of channel as AsyncIterable<Uint8Array>) {
          for (const item of reader.push(chunk)) this.#take(item);
        }
      } catch {
        // the connection broke
      }
      this.connected = false;
      this.dropped += this.#pending.length;
      this.#pending = []; // never confirmed: the server sends them again on resume
      this.#blockText = "";
    })();
    for (const target of this.targets) channel.write(encodeFrame(this.#command(target)));
  }

  #command(target: string): string {
    const known = [...(this.positions.get(target)?.values() ?? [])];
    const resume = this.options.resumeOption
      ? this.options.resumeOption(target)
      : known.length > 0
      ? encodeResumeRequest(known)
      : undefined;
    return buildReadCommand({
      verb: "tail",
      options: {
        escape: "ac",
        positions: "v1",
        ...(this.options.plain ? { plain: "true", quiet: "true", blocks: "v1" } : {}),
        ...(resume === undefined ? {} : { resume }),
      },
      path: target,
      regex: { flag: "noop", literal: false, pattern: "" },
    });
  }

  #take(item: Uint8Array | BlockPiece): void {
    if (item instanceof BlockPiece) {
      const text = this.#blockText + decoder.decode(item.bytes);
      const lines = text.split("\n");
      this.#blockText = lines.pop()!;
      this.#pending.push(...lines);
      return;
    }
    if (!isControl(item)) {
      const text = decoder.decode(item);
      this.messages.push(text);
      if (text.startsWith(".syn capabilities")) return; // sent before escaping is on
      // REMOTE|host|100|lineno|sourceid|text, or the plain line
      this.#pending.push(this.options.plain ? text : text.split("|").slice(5).join("|"));
      return;
    }
    const text = decoder.decode(item.subarray(2));
    this.messages.push(text);
    const parsed = parsePositionMessage(text);
    if (parsed === null) {
      if (!text.startsWith(".syn ")) this.notices.push(text);
      return;
    }
    const { target, position } = parsed;
    let known = this.positions.get(target);
    if (known === undefined) this.positions.set(target, known = new Map());
    known.set(position.path, position);
    const lines = this.lines.get(position.path) ?? [];
    lines.push(...this.#pending);
    this.lines.set(position.path, lines);
    this.#pending = [];
  }

  linesOf(path: string): string[] {
    return this.lines.get(path) ?? [];
  }

  /** Waits until `predicate` holds (checked every 10 ms). */
  async until(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; notices: ${this.notices.join(" / ")}; ` +
            `lines: ${[...this.lines].map(([p, l]) => `${p}: ${l.length}`).join(", ")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until the connection is gone (the server was killed). */
  async lost(): Promise<void> {
    await this.#ended;
  }

  async close(): Promise<void> {
    this.#connection?.end();
    await Promise.race([this.#ended, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** Lines `<prefix> 0000`… for [from, to). */
export function numbered(prefix: string, from: number, to: number): string[] {
  return Array.from(
    { length: to - from },
    (_, i) => `${prefix} ${String(from + i).padStart(4, "0")}`,
  );
}

/** Appends lines in writes of `perWrite` lines, as a logger does. */
export async function append(path: string, lines: string[], perWrite = 100): Promise<void> {
  for (let i = 0; i < lines.length; i += perWrite) {
    await Deno.writeTextFile(path, lines.slice(i, i + perWrite).join("\n") + "\n", {
      append: true,
    });
  }
  await Deno.chmod(path, 0o644);
}
