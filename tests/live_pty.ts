/**
 * Runs a DTail program with its stdout and stderr on a real pseudo-terminal (tests/pty.ts) of a
 * given size, and returns everything it wrote there: for tests of live output (tests/_screen.ts
 * replays it).
 */
import { DENO_DIR, ROOT, RUN_MAIN } from "./helpers.ts";
import { Pty } from "./pty.ts";

export interface PtyRun {
  readonly code: number;
  /** What the program wrote to the terminal (stdout and stderr, as the terminal got them). */
  readonly output: string;
}

export async function runOnPty(
  program: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    columns?: number;
    rows?: number;
    /** Called with the pty while the program runs. */
    during?: (pty: Pty) => Promise<void>;
  } = {},
): Promise<PtyRun> {
  const pty = Pty.open();
  try {
    // The terminal's size first (a new pty is 0×0), then the program on it as stdout and stderr.
    const script = `stty -F "$TTY" cols ${options.columns ?? 100} rows ${options.rows ?? 40} ` +
      `&& exec "$@" >"$TTY" 2>"$TTY"`;
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        script,
        "sh",
        Deno.execPath(),
        ...RUN_MAIN,
        ...args,
      ],
      env: {
        DTAIL_PROGRAM: program,
        NO_COLOR: "",
        TERM: "xterm",
        DENO_DIR,
        TTY: pty.slavePath,
        ...options.env,
      },
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const during = options.during?.(pty);
    const status = await child.output();
    await during;
    // What the program wrote last may still be on its way through the pty.
    await new Promise((r) => setTimeout(r, 100));
    const shell = new TextDecoder().decode(status.stderr);
    if (shell.trim() !== "") throw new Error(`the shell around the program said: ${shell}`);
    return { code: status.code, output: pty.output };
  } finally {
    await pty.close();
  }
}
