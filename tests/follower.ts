/** Drives a real `dtail` process that follows files, collecting the lines it prints. */
import { spawn } from "./helpers.ts";

export class Follower {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #done: Promise<void>;
  #stderr = "";

  constructor(args: string[], env: Record<string, string> = {}) {
    this.#child = spawn("dtail", ["--plain", "--cfg", "none", ...args], { env });
    this.#done = Promise.all([this.#collect(), this.#collectStderr()]).then(() => {});
  }

  async #collect(): Promise<void> {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop()!;
      this.lines.push(...parts);
    }
    if (partial !== "") this.lines.push(partial);
  }

  async #collectStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stderr) this.#stderr += decoder.decode(chunk);
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Waits until `predicate` holds for the lines seen so far. */
  async waitFor(predicate: (lines: string[]) => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this.lines)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; got ${this.lines.length} lines:\n` +
            `${this.lines.slice(-5).join("\n")}\nstderr: ${this.#stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Appends marker lines to `path` until one is printed: the follower is then watching. */
  async ready(path: string): Promise<void> {
    for (let i = 0; i < 400; i++) {
      await Deno.writeTextFile(path, `ready-${i}\n`, { append: true });
      const deadline = Date.now() + 25;
      while (Date.now() < deadline) {
        if (this.lines.some((l) => l.startsWith("ready-"))) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    throw new Error(`follower never became ready; stderr: ${this.#stderr}`);
  }

  /** The lines printed, without readiness markers. */
  payload(): string[] {
    return this.lines.filter((l) => !l.startsWith("ready-"));
  }

  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    try {
      this.#child.kill(signal);
    } catch {
      // already exited
    }
    const status = await this.#child.status;
    await this.#done;
    return status.code;
  }

  async exited(): Promise<number> {
    const status = await this.#child.status;
    await this.#done;
    return status.code;
  }
}

export function numbered(prefix: string, from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${from + i}`);
}

export async function append(path: string, lines: string[]): Promise<void> {
  if (lines.length > 0) await Deno.writeTextFile(path, lines.join("\n") + "\n", { append: true });
}

/** Each expected line exactly once, in order (other lines may be interleaved). */
export function assertExactlyOnceInOrder(got: string[], expected: string[]): void {
  const wanted = new Set(expected);
  const seen = got.filter((l) => wanted.has(l));
  if (seen.length !== expected.length || seen.some((l, i) => l !== expected[i])) {
    const missing = expected.filter((l) => !seen.includes(l));
    const dupes = seen.filter((l, i) => seen.indexOf(l) !== i);
    throw new Error(
      `expected ${expected.length} lines exactly once in order; got ${seen.length}. ` +
        `missing: ${missing.slice(0, 5).join(" | ")} duplicated: ${dupes.slice(0, 5).join(" | ")}`,
    );
  }
}
