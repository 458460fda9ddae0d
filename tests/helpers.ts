/** Shared helpers for tests that run the real programs as processes. */
import { LINEAR_V8_FLAGS } from "../core/matcher.ts";

export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
export const UPSTREAM = `${ROOT}/tests/testdata/dtail-upstream`;
const MAIN = `${ROOT}/app/main.ts`;
/** The V8 flags of the Makefile's launchers that matter to behaviour (linear-time regexes). */
export const V8_FLAGS = `--v8-flags=${LINEAR_V8_FLAGS}`;
/** The project's Deno cache (see Makefile): the same whatever HOME a test sets. */
export const DENO_DIR = Deno.env.get("DENO_DIR") ?? `${ROOT}/.tools/deno-dir`;

export interface RunResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  text: string;
}

export interface RunOptions {
  stdin?: Uint8Array | string;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs a DTail program (dcat, dgrep, dtail, …) to completion. */
export async function run(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const child = spawn(program, args, { ...options, stdin: options.stdin !== undefined });
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    const data = typeof options.stdin === "string"
      ? new TextEncoder().encode(options.stdin)
      : options.stdin;
    await writer.write(data);
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: out.stdout,
    stderr: new TextDecoder().decode(out.stderr),
    text: new TextDecoder().decode(out.stdout),
  };
}

/** The Deno arguments that run app/main.ts from the cache (after the deno executable). */
export const RUN_MAIN: readonly string[] = [
  "run",
  V8_FLAGS,
  "--allow-all",
  "--frozen",
  "--cached-only",
  MAIN,
];

export function spawn(
  program: string,
  args: string[],
  options: { stdin?: boolean; env?: Record<string, string>; cwd?: string } = {},
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [...RUN_MAIN, ...args],
    env: { DTAIL_PROGRAM: program, NO_COLOR: "", DENO_DIR, ...options.env },
    cwd: options.cwd ?? ROOT,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

export async function tempDir(prefix = "dtail-test-"): Promise<string> {
  return await Deno.makeTempDir({ prefix });
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Asserts the process printed no stack trace or internal error, whatever it exited with. */
export function assertNoStackTrace(stderr: string): void {
  if (/\n\s+at |Stack backtrace|internal error|Uncaught/.test(stderr)) {
    throw new Error(`unexpected stack trace or internal error:\n${stderr}`);
  }
}
